package dev.vertice.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import java.util.concurrent.TimeUnit;

/**
 * {@code RedisServer} is a real redis-server process for tests: a free loopback port, its own data directory, append-only
 * file with fsync on every write. Never a Redis that happens to run on 6379. When redis-server is
 * missing the test fails (the README's test command installs it).
 */
public final class RedisServer implements AutoCloseable {

  private final Path dir;
  private final int port;
  private final Integer replicaOf;
  private final String password;
  private final TestCerts.Pair tlsCert;
  private final Path tlsCa;
  private final int tlsPort;
  private Process process;

  /** Starts a server with its data in {@code dir}. */
  public RedisServer(Path dir) throws IOException {
    this(dir, null);
  }

  /** A server in {@code dir}; with {@code replicaOf}, a replica of the server on that port. */
  public RedisServer(Path dir, Integer replicaOf) throws IOException {
    this(dir, replicaOf, null, null, null);
  }

  private RedisServer(Path dir, Integer replicaOf, String password, TestCerts.Pair tlsCert, Path tlsCa)
      throws IOException {
    this.dir = Files.createDirectories(dir);
    this.replicaOf = replicaOf;
    this.password = password;
    this.tlsCert = tlsCert;
    this.tlsCa = tlsCa;
    this.port = freePort();
    this.tlsPort = tlsCert == null ? -1 : freePort();
    start();
  }

  /** Starts a server in {@code dir} that requires {@code password} ({@code requirepass}). */
  public static RedisServer requiringPassword(Path dir, String password) throws IOException {
    return new RedisServer(dir, null, password, null, null);
  }

  /**
   * Starts a server in {@code dir} that requires {@code password}; with {@code replicaOf}, a replica
   * of the server on that port, which requires the same password ({@code masterauth}).
   */
  public static RedisServer requiringPassword(Path dir, String password, Integer replicaOf) throws IOException {
    return new RedisServer(dir, replicaOf, password, null, null);
  }

  /**
   * Starts a server in {@code dir} that also listens with TLS on {@link #tlsPort()}, presenting
   * {@code cert} (issued by {@link TestCerts}) and trusting {@code ca}; clients need no certificate.
   * {@code password}, when not null, is required ({@code requirepass}).
   */
  public static RedisServer withTls(Path dir, TestCerts.Pair cert, Path ca, String password) throws IOException {
    return new RedisServer(dir, null, password, cert, ca);
  }

  /** Returns the TLS port, or -1 when the server has none. */
  public int tlsPort() {
    return tlsPort;
  }

  /** Returns the TLS address as a {@code --store} value ({@code rediss://}). */
  public String tlsUrl() {
    if (tlsPort < 0) {
      throw new IllegalStateException("this server has no TLS port");
    }
    return "rediss://127.0.0.1:" + tlsPort + "/0";
  }

  /** Returns a loopback port that was free a moment ago, below the kernel's ephemeral range. */
  public static int freePort() throws IOException {
    // Below the ephemeral range: the port is bound later, by another process, and an ephemeral one
    // can be taken meanwhile by any outgoing connection.
    return dev.vertice.common.LocalPorts.bindBelowEphemeralRange(port -> {
      try (ServerSocket s = new ServerSocket(port)) {
        return s.getLocalPort();
      }
    });
  }

  /** Returns the server's port. */
  public int port() {
    return port;
  }

  /** Returns the server's address as a {@code --store} value. */
  public String url() {
    return "redis://127.0.0.1:" + port + "/0";
  }

  /** Starts (or restarts) the server on the same port and data directory. */
  public void start() throws IOException {
    Path binary = Path.of("/usr/bin/redis-server");
    if (!Files.isExecutable(binary)) {
      throw new AssertionError("redis-server is not installed: run ./vertice test, which installs it, or"
          + " apt-get install redis-server");
    }
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(binary.toString(), "--port",
        Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(), "--appendonly", "yes",
        "--appendfsync", "always", "--save", "", "--protected-mode", "no", "--daemonize", "no",
        "--repl-diskless-sync-delay", "0", "--logfile",
        dir.resolve("redis.log").toString()));
    if (replicaOf != null) {
      cmd.addAll(java.util.List.of("--replicaof", "127.0.0.1", replicaOf.toString()));
    }
    if (password != null) {
      cmd.addAll(java.util.List.of("--requirepass", password));
      if (replicaOf != null) {
        cmd.addAll(java.util.List.of("--masterauth", password));
      }
    }
    if (tlsCert != null) {
      cmd.addAll(java.util.List.of("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", tlsCert.cert().toString(),
          "--tls-key-file", tlsCert.key().toString(), "--tls-ca-cert-file", tlsCa.toString(),
          "--tls-auth-clients", "no"));
    }
    process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.out").toFile())
        .start();
    Await.until("redis-server answers PING on " + port, Duration.ofSeconds(10), this::answersPing);
  }

  /** Stops the server at once (SIGKILL): no shutdown save, only what the append-only file holds. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Returns whether this replica's link to its master is up (INFO replication). */
  public boolean inSync() {
    return info("replication").contains("master_link_status:up");
  }

  /** Returns the text of INFO {@code section}, or "" when the server does not answer. */
  public String info(String section) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(1000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      authenticate(out, in);
      out.write(("INFO " + section + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      // A bulk string: "$<length>\r\n<text>\r\n".
      StringBuilder header = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        header.append((char) c);
      }
      int length = Integer.parseInt(header.toString().strip().substring(1));
      return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** Returns whether the server answers PING. */
  public boolean answersPing() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(1000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      authenticate(out, in);
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      return n == 7 && new String(buf, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  /** Sends AUTH on a fresh connection when the server requires a password. */
  private void authenticate(OutputStream out, InputStream in) throws IOException {
    if (password == null) {
      return;
    }
    byte[] pw = password.getBytes(StandardCharsets.UTF_8);
    out.write(("*2\r\n$4\r\nAUTH\r\n$" + pw.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(pw);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    byte[] ok = in.readNBytes(5);
    if (!new String(ok, StandardCharsets.US_ASCII).equals("+OK\r\n")) {
      throw new IOException("AUTH refused");
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

}
