package dev.vertice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code VerticeProcess} is one Vertice component in its own process, started as {@code ./vertice}
 * starts it: the {@code vertice} script itself when this JVM runs from {@code
 * launcher/target/vertice.jar} beside it, else {@code java} with the script's flags for that
 * component on this JVM's class path (tests). Its output goes to a log file; {@link #close()} sends
 * SIGTERM, then SIGKILL after a grace period.
 */
final class VerticeProcess implements AutoCloseable {

  /** The JVM flags {@code ./vertice} gives each component (its {@code java_opts}); kept in step with the script. */
  static List<String> jvmFlags(String command) {
    return switch (command) {
      case "control-plane", "gateway", "demo" -> List.of("-XX:+UseG1GC");
      case "bench" -> List.of("-Xms2g", "-Xmx8g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=10");
      default -> List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    };
  }

  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final String name;
  private final Path log;
  private final Process process;

  private VerticeProcess(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  /** Starts {@code ./vertice <args>} with its output in {@code dir/<name>.log}. */
  static VerticeProcess start(Path dir, String name, List<String> args) throws IOException {
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command(args, java.util.Map.of())).redirectErrorStream(true).redirectOutput(log.toFile());
    return new VerticeProcess(name, log, pb.start());
  }

  /**
   * Starts {@code ./vertice <args>} with {@code env} added to its environment, its stdout and stdin
   * piped to this process ({@link #stdout()}, {@link #stdin()}) and its stderr in {@code
   * dir/<name>.log}: for the bench's own helper processes, which answer on stdout.
   */
  static VerticeProcess startPiped(Path dir, String name, List<String> args, java.util.Map<String, String> env)
      throws IOException {
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command(args, env)).redirectError(log.toFile());
    pb.environment().putAll(env);
    return new VerticeProcess(name, log, pb.start());
  }

  private static List<String> command(List<String> args, java.util.Map<String, String> env) {
    List<String> cmd = new ArrayList<>();
    Path script = script();
    if (script != null) {
      cmd.add(script.toString());
    } else {
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvmFlags(args.get(0)));
      // The script appends JAVA_OPTS after its own flags; so does this.
      String extra = env.getOrDefault("JAVA_OPTS", "").strip();
      if (!extra.isEmpty()) {
        cmd.addAll(List.of(extra.split("\\s+")));
      }
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add("dev.vertice.launcher.Main");
    }
    cmd.addAll(args);
    return cmd;
  }

  /** Returns the process's stdout, when started by {@link #startPiped}. */
  java.io.InputStream stdout() {
    return process.getInputStream();
  }

  /** Returns the process's stdin, when started by {@link #startPiped}. */
  java.io.OutputStream stdin() {
    return process.getOutputStream();
  }

  /** Returns the log file (the process's stderr, or all its output). */
  Path log() {
    return log;
  }

  /** Returns whether the process still runs. */
  boolean alive() {
    return process.isAlive();
  }

  /** Returns the {@code vertice} script when this JVM runs from the jar it builds, else null. */
  private static Path script() {
    String cp = System.getProperty("java.class.path", "");
    if (cp.contains(java.io.File.pathSeparator) || !cp.endsWith("vertice.jar")) {
      return null;
    }
    Path jar = Path.of(cp).toAbsolutePath();
    Path root = jar.getParent() == null || jar.getParent().getParent() == null ? null
        : jar.getParent().getParent().getParent(); // <root>/launcher/target/vertice.jar
    Path script = root == null ? null : root.resolve("vertice");
    return script != null && Files.isExecutable(script) ? script : null;
  }

  /** Waits until the log has a line matching {@code pattern} and returns its first group. */
  String await(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      Matcher m = pattern.matcher(text);
      if (m.find()) {
        return m.group(1);
      }
      if (!process.isAlive()) {
        throw new IOException(name + " exited with " + process.exitValue() + ":\n" + text);
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(name + " did not print " + pattern + " within " + timeout + ":\n" + text);
      }
      Thread.sleep(20);
    }
  }

  /** Returns the process (to sample its CPU). */
  ProcessHandle handle() {
    return process.toHandle();
  }

  /** Returns the process id (to sample its CPU and RSS). */
  long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    // ./vertice execs java, so the pid is the JVM's: SIGTERM runs its shutdown.
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
