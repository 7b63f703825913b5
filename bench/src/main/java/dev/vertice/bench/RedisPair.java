package dev.vertice.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code RedisPair} is Debian's redis-server as a Sentinel deployment runs it, without the
 * Sentinels: a master and one replica on free loopback ports, data in a temporary directory, no
 * snapshots. Child processes, stopped by {@link #close()}.
 */
final class RedisPair implements AutoCloseable {

  static final Path BINARY = Path.of("/usr/bin/redis-server");
  private final Process master;
  private final Process replica;
  private final int masterPort;

  /** Starts the master and the replica and waits until the replica is in sync. */
  RedisPair(Path dir) throws IOException, InterruptedException {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException("redis-server is not installed (" + BINARY + "): apt-get install redis-server");
    }
    Files.createDirectories(dir.resolve("master"));
    Files.createDirectories(dir.resolve("replica"));
    Started m = startOnFreePort(dir.resolve("master"), List.of(), "PING", "PONG");
    master = m.process();
    masterPort = m.port();
    try {
      replica = startOnFreePort(dir.resolve("replica"), List.of("--replicaof", "127.0.0.1", String.valueOf(masterPort)),
          "INFO replication", "master_link_status:up").process();
    } catch (IOException | InterruptedException | RuntimeException e) {
      stop(master);
      throw e;
    }
  }

  /** A redis-server that answered, and its port. */
  private record Started(Process process, int port) {}

  /**
   * Starts redis-server on a free port and waits for {@code expect} in its answer to {@code
   * command}; on another port when it exits at once ({@link BenchPorts#onFreePorts}).
   */
  private static Started startOnFreePort(Path dir, List<String> more, String command, String expect)
      throws IOException, InterruptedException {
    return BenchPorts.onFreePorts(() -> {
      int port = BenchPorts.free();
      Process p = start(dir, port, more);
      try {
        await(port, command, expect, p);
        return new Started(p, port);
      } catch (IOException | InterruptedException | RuntimeException e) {
        stop(p);
        throw e;
      }
    });
  }

  /** Returns the master's address as {@code --store} takes it. */
  String url() {
    return "redis://127.0.0.1:" + masterPort + "/0";
  }

  private static Process start(Path dir, int port, List<String> more) throws IOException {
    List<String> cmd = new java.util.ArrayList<>(List.of(BINARY.toString(), "--port", String.valueOf(port),
        "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "no",
        "--daemonize", "no", "--protected-mode", "no", "--maxmemory-policy", "noeviction"));
    cmd.addAll(more);
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
  }

  /** Waits until {@code command} on {@code port} answers with text containing {@code expect}. */
  private static void await(int port, String command, String expect, Process p) throws IOException,
      InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      if (!p.isAlive()) {
        throw new BenchPorts.ExitedAtStart("redis-server on port " + port + " exited with " + p.exitValue());
      }
      if (ask(port, command).contains(expect)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("redis-server on port " + port + " did not answer " + expect + " to " + command);
      }
      Thread.sleep(50);
    }
  }

  /** Sends one inline command and returns what arrived within a short read. */
  private static String ask(int port, String command) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      int n = in.read(buf);
      return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }

  private static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop(replica);
    stop(master);
  }
}
