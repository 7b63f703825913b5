package dev.vertice.testkit;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@code RedisSentinel} is a real redis-sentinel process watching master "mymaster"; fails the test when not installed. */
public final class RedisSentinel implements AutoCloseable {

  /** The monitored master's name. */
  public static final String MASTER = "mymaster";

  private final int port;
  private final Process process;

  /** Starts a Sentinel in {@code dir} watching the master on {@code masterPort}. */
  public RedisSentinel(Path dir, int masterPort) throws IOException {
    this(dir, masterPort, null);
  }

  /**
   * Starts a Sentinel in {@code dir} watching the master on {@code masterPort}, which (like its
   * replicas) requires {@code masterPassword} when not null ({@code sentinel auth-pass}).
   */
  public RedisSentinel(Path dir, int masterPort, String masterPassword) throws IOException {
    Path binary = Path.of("/usr/bin/redis-sentinel");
    if (!Files.isExecutable(binary)) {
      throw new AssertionError("redis-sentinel is not installed: run ./vertice test, which installs it, or"
          + " apt-get install redis-sentinel");
    }
    this.port = RedisServer.freePort();
    Files.createDirectories(dir);
    Path conf = dir.resolve("sentinel.conf");
    Files.writeString(conf, String.join("\n",
        "port " + port,
        "bind 127.0.0.1",
        "protected-mode no",
        "dir " + dir,
        "logfile " + dir.resolve("sentinel.log"),
        "sentinel monitor " + MASTER + " 127.0.0.1 " + masterPort + " 2",
        "sentinel down-after-milliseconds " + MASTER + " 1000",
        "sentinel failover-timeout " + MASTER + " 5000",
        "sentinel parallel-syncs " + MASTER + " 1",
        masterPassword == null ? "" : "sentinel auth-pass " + MASTER + " " + masterPassword,
        ""));
    process = new ProcessBuilder(binary.toString(), conf.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("sentinel.out").toFile()).start();
    Await.until("redis-sentinel listens on " + port, Duration.ofSeconds(10), () -> {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return s.isConnected();
      } catch (IOException e) {
        return false;
      }
    });
  }

  /** Returns the Sentinel's port. */
  public int port() {
    return port;
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
