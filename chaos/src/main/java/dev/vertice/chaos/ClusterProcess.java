package dev.vertice.chaos;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code ClusterProcess} is one real process of the cluster (or a victim the run started): kill -9,
 * SIGSTOP and SIGCONT through {@code kill}, and restart with the command line it was started with (read
 * from {@code /proc} before it dies), its output appended to the same log.
 */
public final class ClusterProcess {

  private final String name;
  private final List<Integer> ports;
  private final Path log;
  private volatile ProcessHandle handle;
  private volatile List<String> command;
  private volatile boolean stopped;

  ClusterProcess(String name, ProcessHandle handle, List<Integer> ports, Path log) {
    this.name = name;
    this.handle = handle;
    this.ports = List.copyOf(ports);
    this.log = log;
    this.command = commandLine(handle).orElse(null);
  }

  /** The name in the cluster's state file, e.g. {@code control-plane-2}, or the victim's. */
  public String name() {
    return name;
  }

  public long pid() {
    return handle.pid();
  }

  /** Its ports in the state file's order (e.g. a control plane's gRPC port, then its admin port). */
  public List<Integer> ports() {
    return ports;
  }

  public boolean alive() {
    return handle.isAlive();
  }

  /** {@code kill -9}, and waits until it is gone. */
  public void kill9() throws InterruptedException {
    remember();
    handle.destroyForcibly();
    handle.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> handle).join();
    stopped = false;
  }

  /** {@code kill -STOP}: the process stays, its sockets stay open, nothing answers (a gray failure). */
  public void stop() throws IOException, InterruptedException {
    signal("STOP");
    stopped = true;
  }

  /** {@code kill -CONT}. */
  public void cont() throws IOException, InterruptedException {
    signal("CONT");
    stopped = false;
  }

  /** Whether the last signal sent was SIGSTOP (a heal must continue it). */
  public boolean stopped() {
    return stopped;
  }

  /** Starts it again with the command line it had, its output appended to its log; returns the new pid. */
  public long restart() throws IOException {
    if (handle.isAlive()) {
      throw new IllegalStateException(name + " still runs (pid " + handle.pid() + ")");
    }
    List<String> cmd = command;
    if (cmd == null) {
      throw new IllegalStateException(name + ": its command line is unknown, cannot restart it");
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (log != null) {
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    } else {
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    }
    handle = pb.start().toHandle();
    return handle.pid();
  }

  /** The process's start time as the state file records it (epoch milliseconds). */
  long startMillis() {
    return handle.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(System.currentTimeMillis());
  }

  ProcessHandle handle() {
    return handle;
  }

  private void remember() {
    commandLine(handle).ifPresent(c -> command = c);
  }

  private void signal(String sig) throws IOException, InterruptedException {
    remember();
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(handle.pid())).redirectErrorStream(true).start();
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("kill -" + sig + " " + handle.pid() + " (" + name + ") failed");
    }
  }

  /** The full command line from /proc (ProcessHandle.Info may truncate it). */
  static Optional<List<String>> commandLine(ProcessHandle h) {
    try {
      byte[] raw = java.nio.file.Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
      List<String> args = new ArrayList<>();
      int start = 0;
      for (int i = 0; i < raw.length; i++) {
        if (raw[i] == 0) {
          args.add(new String(raw, start, i - start, java.nio.charset.StandardCharsets.UTF_8));
          start = i + 1;
        }
      }
      return args.isEmpty() ? Optional.empty() : Optional.of(args);
    } catch (IOException e) {
      return h.info().command().map(c -> {
        List<String> l = new ArrayList<>(List.of(c));
        h.info().arguments().ifPresent(a -> l.addAll(List.of(a)));
        return l;
      });
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + handle.pid() + ")";
  }
}
