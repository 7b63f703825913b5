package dev.vertice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code EtcdProcess} is Debian's etcd ({@code etcd-server}) as the peer of {@code bench push
 * --peer etcd}: a single member on free loopback ports with a data directory of its own (writes
 * fsync'd as etcd always does), run as a child process and stopped by {@link #close()}.
 */
final class EtcdProcess implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/bin/etcd");

  private final Process process;
  private final String url;

  /**
   * Starts etcd with its data and log under {@code dir}, on other ports when the first ones were
   * taken meanwhile (each try with a new data directory: etcd keeps its peer address there).
   */
  static EtcdProcess start(Path dir) throws IOException, InterruptedException {
    int[] attempt = {0};
    return BenchPorts.onFreePorts(() -> new EtcdProcess(dir, "data-" + attempt[0]++));
  }

  private EtcdProcess(Path dir, String data) throws IOException, InterruptedException {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException("etcd is not installed (" + BINARY + "): apt-get install etcd-server");
    }
    Files.createDirectories(dir);
    int client = BenchPorts.free();
    int peer = BenchPorts.free();
    this.url = "http://127.0.0.1:" + client;
    String peerUrl = "http://127.0.0.1:" + peer;
    Path log = dir.resolve("etcd.log");
    process = new ProcessBuilder(List.of(BINARY.toString(), "--name", "bench", "--data-dir",
        dir.resolve(data).toString(), "--listen-client-urls", url, "--advertise-client-urls", url,
        "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", "bench=" + peerUrl, "--initial-cluster-state", "new"))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      if (text.contains("ready to serve client requests")) {
        break;
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        boolean exited = !process.isAlive();
        close();
        String why = "etcd did not start on " + url + ":\n" + text;
        throw exited ? new BenchPorts.ExitedAtStart(why) : new IOException(why);
      }
      Thread.sleep(20);
    }
  }

  /** Returns the client URL. */
  String url() {
    return url;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
