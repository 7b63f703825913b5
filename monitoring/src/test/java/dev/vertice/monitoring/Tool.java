package dev.vertice.monitoring;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command-line tool in monitoring/ and returns its exit code and output. */
record Tool(int exitCode, String output) {

  /** The monitoring/ folder: the module's base directory. */
  static final Path MONITORING = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();

  static Tool run(String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    Path out = Files.createTempFile("tool", ".out");
    try {
      Process p = new ProcessBuilder(cmd).directory(MONITORING.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", cmd) + " did not finish within 60 s");
      }
      return new Tool(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** Runs the command and fails the test unless it exits 0. */
  static String ok(String... command) throws IOException, InterruptedException {
    Tool t = run(command);
    assertTrue(t.exitCode() == 0, String.join(" ", command) + " exited " + t.exitCode() + ":\n" + t.output());
    return t.output();
  }
}
