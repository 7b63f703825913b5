package dev.vertice.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code Nginx} is Debian's nginx as a reverse proxy with a static upstream, for comparison: a
 * generated configuration in a temporary directory, a free loopback port, run in the foreground as
 * a child process ({@code daemon off}) and stopped by {@link #close()}. Like the gateway it strips
 * the {@code /{service}} prefix, keeps upstream connections alive and sets X-Forwarded-* headers.
 */
final class Nginx implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/sbin/nginx");

  private final Path dir;
  private final int port;
  private final Process process;

  /** Starts nginx proxying {@code /service/...} to {@code 127.0.0.1:upstreamPort/...}. */
  Nginx(Path dir, String service, int upstreamPort, int workers) throws IOException, InterruptedException {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException("nginx is not installed (" + BINARY + "): apt-get install nginx");
    }
    this.dir = Files.createDirectories(dir);
    this.port = BenchPorts.free();
    String conf = String.join("\n",
        "daemon off;",
        "worker_processes " + workers + ";",
        "pid " + dir.resolve("nginx.pid") + ";",
        "error_log " + dir.resolve("error.log") + " warn;",
        "events { worker_connections 8192; }",
        "http {",
        "  access_log off;",
        "  client_body_temp_path " + dir.resolve("body") + ";",
        "  proxy_temp_path " + dir.resolve("proxy") + ";",
        "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
        "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
        "  scgi_temp_path " + dir.resolve("scgi") + ";",
        "  upstream backend { server 127.0.0.1:" + upstreamPort + "; keepalive 256; }",
        "  server {",
        "    listen 127.0.0.1:" + port + " backlog=4096;",
        "    keepalive_requests 1000000;",
        "    location /" + service + "/ {",
        "      proxy_pass http://backend/;",
        "      proxy_http_version 1.1;",
        "      proxy_set_header Connection \"\";",
        "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "      proxy_set_header X-Forwarded-Proto $scheme;",
        "      proxy_set_header X-Forwarded-Host $host;",
        "    }",
        "  }",
        "}",
        "");
    Path file = dir.resolve("nginx.conf");
    Files.writeString(file, conf, StandardCharsets.UTF_8);
    process = new ProcessBuilder(List.of(BINARY.toString(), "-p", dir.toString(), "-c", file.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!accepts(port)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        close();
        throw new IOException("nginx did not start on port " + port + ": "
            + Files.readString(dir.resolve("nginx.out")) + readIfExists(dir.resolve("error.log")));
      }
      Thread.sleep(20);
    }
  }

  /** Returns nginx's port. */
  int port() {
    return port;
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String readIfExists(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p) : "";
  }

  @Override
  public void close() {
    // SIGTERM: nginx's fast shutdown, the master stops its workers.
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
