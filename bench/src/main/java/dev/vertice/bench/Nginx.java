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
 * {@code Nginx} is Debian's nginx in one of two roles, for comparison: a reverse proxy with a static
 * upstream ({@link #proxy}), or the static upstream itself ({@link #upstream}: a fixed 200 answer).
 * A generated configuration in a temporary directory, free loopback ports (one for HTTP/1.1, one
 * for h2c by prior knowledge), run in the foreground as a child process ({@code daemon off}) and
 * stopped by {@link #close()}. As a proxy, like the gateway, it strips the {@code /{service}}
 * prefix, keeps upstream connections alive and sets X-Forwarded-* headers.
 */
final class Nginx implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/sbin/nginx");

  /** The static upstream's answer body. */
  static final String BODY = "hello from the bench upstream\n";

  private final int port;
  private final int h2cPort;
  private final Process process;

  /** Starts nginx proxying {@code /service/...} to {@code 127.0.0.1:upstreamPort/...}. */
  static Nginx proxy(Path dir, String service, int upstreamPort, int workers) throws IOException, InterruptedException {
    String location = String.join("\n",
        "    location /" + service + "/ {",
        "      proxy_pass http://backend/;",
        "      proxy_http_version 1.1;",
        "      proxy_set_header Connection \"\";",
        "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "      proxy_set_header X-Forwarded-Proto $scheme;",
        "      proxy_set_header X-Forwarded-Host $host;",
        "    }");
    return BenchPorts.onFreePorts(() -> new Nginx(dir, workers,
        "  upstream backend { server 127.0.0.1:" + upstreamPort + "; keepalive 64; }", location));
  }

  /** Starts nginx answering every GET with 200 and {@link #BODY} (the upstream every target shares). */
  static Nginx upstream(Path dir, int workers) throws IOException, InterruptedException {
    return BenchPorts.onFreePorts(() -> new Nginx(dir, workers, "", String.join("\n",
        "    location / {",
        "      default_type text/plain;",
        "      return 200 \"" + BODY.replace("\n", "\\n") + "\";",
        "    }")));
  }

  private Nginx(Path dir, int workers, String httpBlock, String locations) throws IOException, InterruptedException {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException("nginx is not installed (" + BINARY + "): apt-get install nginx");
    }
    Files.createDirectories(dir);
    this.port = BenchPorts.free();
    this.h2cPort = BenchPorts.free();
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
        "  keepalive_requests 1000000;",
        "  http2_max_requests 1000000;",
        httpBlock,
        "  server {",
        "    listen 127.0.0.1:" + port + " backlog=4096;",
        "    listen 127.0.0.1:" + h2cPort + " http2 backlog=4096;",
        locations,
        "  }",
        "}",
        "");
    Path file = dir.resolve("nginx.conf");
    Files.writeString(file, conf, StandardCharsets.UTF_8);
    process = new ProcessBuilder(List.of(BINARY.toString(), "-p", dir.toString(), "-c", file.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!accepts(port) || !accepts(h2cPort)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        boolean exited = !process.isAlive();
        close();
        String why = "nginx did not start on port " + port + ": "
            + Files.readString(dir.resolve("nginx.out")) + readIfExists(dir.resolve("error.log"));
        throw exited ? new BenchPorts.ExitedAtStart(why) : new IOException(why);
      }
      Thread.sleep(20);
    }
  }

  /** Returns the h2c (prior knowledge) port. */
  int h2cPort() {
    return h2cPort;
  }

  /** Returns nginx's master process: its workers are its children. */
  ProcessHandle handle() {
    return process.toHandle();
  }

  /** Returns nginx's port. */
  int port() {
    return port;
  }

  static boolean accepts(int port) {
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
