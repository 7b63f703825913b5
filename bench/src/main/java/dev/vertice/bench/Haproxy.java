package dev.vertice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code Haproxy} is Debian's HAProxy as a reverse proxy with a static upstream, for comparison: a
 * generated configuration, free loopback ports (one for HTTP/1.1, one for h2c by prior knowledge),
 * run in the foreground as a child process and stopped by {@link #close()}. Like the gateway it
 * strips the {@code /{service}} prefix, reuses upstream connections ({@code http-reuse always})
 * and sets X-Forwarded-For.
 */
final class Haproxy implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/sbin/haproxy");

  private final int port;
  private final int h2cPort;
  private final Process process;

  /**
   * Starts HAProxy proxying {@code /service/...} to {@code 127.0.0.1:upstreamPort/...} on {@code
   * threads} threads, on other ports when the first ones were taken meanwhile.
   */
  static Haproxy start(Path dir, String service, int upstreamPort, int threads) throws IOException,
      InterruptedException {
    return BenchPorts.onFreePorts(() -> new Haproxy(dir, service, upstreamPort, threads));
  }

  private Haproxy(Path dir, String service, int upstreamPort, int threads) throws IOException, InterruptedException {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException("HAProxy is not installed (" + BINARY + "): apt-get install haproxy");
    }
    Files.createDirectories(dir);
    this.port = BenchPorts.free();
    this.h2cPort = BenchPorts.free();
    String conf = String.join("\n",
        "global",
        "  maxconn 4096", // two descriptors per connection: within a default 20,000 open-files limit
        "  nbthread " + threads,
        "defaults",
        "  mode http",
        "  timeout connect 5s",
        "  timeout client 60s",
        "  timeout server 60s",
        "  http-reuse always",
        "  option forwardfor",
        "frontend bench",
        "  bind 127.0.0.1:" + port,
        "  bind 127.0.0.1:" + h2cPort + " proto h2",
        "  default_backend upstream",
        "backend upstream",
        "  http-request replace-path /" + service + "(/.*) \\1",
        "  server u1 127.0.0.1:" + upstreamPort,
        "");
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, conf, StandardCharsets.UTF_8);
    process = new ProcessBuilder(List.of(BINARY.toString(), "-db", "-f", file.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.out").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Nginx.accepts(port) || !Nginx.accepts(h2cPort)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        boolean exited = !process.isAlive();
        close();
        String why = "HAProxy did not start on port " + port + ": " + Files.readString(dir.resolve("haproxy.out"));
        throw exited ? new BenchPorts.ExitedAtStart(why) : new IOException(why);
      }
      Thread.sleep(20);
    }
  }

  /** Returns HAProxy's process. */
  ProcessHandle handle() {
    return process.toHandle();
  }

  /** Returns the HTTP/1.1 port. */
  int port() {
    return port;
  }

  /** Returns the h2c (prior knowledge) port. */
  int h2cPort() {
    return h2cPort;
  }

  @Override
  public void close() {
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
