package dev.vertice.launcher;

import dev.vertice.testkit.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code LauncherProcess} runs {@code vertice} commands as the script does, each in a child JVM
 * ({@code dev.vertice.launcher.Main} on this test's class path, exiting through {@code
 * System.exit}), its stdout and stderr in files; {@link #close()} kills whatever is still running.
 */
final class LauncherProcess implements AutoCloseable {

  /** The longest a short command may take, JVM start included. */
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private final Path dir;
  private final List<Process> processes = new ArrayList<>();
  private int n;

  LauncherProcess(Path dir) {
    this.dir = dir;
  }

  /** A finished command: exit code, stdout, stderr. */
  record Result(int code, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  /** A running command, its output read from files as it is written. */
  record Running(Process process, Path out, Path err) {
    String stdout() {
      return read(out);
    }

    String stderr() {
      return read(err);
    }

    List<String> lines() {
      return stdout().lines().toList();
    }

    /** Waits for the command to end within {@code timeout} and returns its result. */
    Result await(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("still running after " + timeout + "; stdout:\n" + stdout() + "\nstderr:\n"
            + stderr());
      }
      return new Result(process.exitValue(), stdout(), stderr());
    }

    /** Waits until stdout holds at least {@code count} lines, and returns them. */
    List<String> awaitLines(int count) {
      return Await.value(count + " lines on stdout (stderr: " + stderr() + ")", COMMAND_TIMEOUT, () -> {
        List<String> l = lines();
        return l.size() >= count ? l : null;
      });
    }

    private static String read(Path p) {
      try {
        return Files.readString(p, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    }
  }

  /** Starts {@code vertice args...}. */
  Running start(String... args) throws IOException {
    return start(java.util.Map.of(), args);
  }

  /** Starts {@code vertice args...} with {@code env} added to its environment. */
  Running start(java.util.Map<String, String> env, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), "dev.vertice.launcher.Main"));
    cmd.addAll(List.of(args));
    int i = ++n;
    Path out = dir.resolve("cli-" + i + ".out");
    Path err = dir.resolve("cli-" + i + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    // The test's own environment must not steer the child: only the flags given.
    pb.environment().keySet().removeIf(k -> k.startsWith("VERTICE_") || k.startsWith("OTEL_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    processes.add(p);
    return new Running(p, out, err);
  }

  /** Runs {@code vertice args...} to its end and returns its result. */
  Result run(String... args) throws IOException, InterruptedException {
    return start(args).await(COMMAND_TIMEOUT);
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly); // what a command started (bench processes)
      p.destroyForcibly();
    }
    try {
      for (Process p : processes) {
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
