package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short run of {@code vertice bench register} as users run it: the control plane in its own
 * process, in memory and on a Redis master with a replica (both started by the bench), with unary
 * Register, RegisterBatch and KeepAlive from the bench process. It checks the plumbing (every store
 * and call measured, no error, the JSON fields the README quotes, no process left behind), never a
 * figure.
 */
class RegisterBenchProcessTest {

  private static final Pattern ROW = Pattern.compile(
      "\\{\"bench\":\"register\",\"store\":\"(memory|redis)\",\"call\":\"(register|register-batch|keepalive)\","
          + "\"in_flight\":(\\d+),\"per_call\":(\\d+),\"per_s\":([0-9.]+),\"calls\":(\\d+),\"p50_ms\":[0-9.]+,"
          + "\"p99_ms\":[0-9.]+,\"errors\":(\\d+),\"load_1m\":-?[0-9.]+}");

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void everyCallIsMeasuredOnBothStoresInSeparateProcesses(@TempDir Path dir) throws Exception {
    try (LauncherProcess cli = new LauncherProcess(dir)) {
      LauncherProcess.Result r = cli.start("bench", "register", "--seconds", "1", "--warmup-seconds", "0",
          "--concurrency", "16", "--batch-size", "50", "--batch-concurrency", "2", "--connections", "2",
          "--keepalive-streams", "2", "--pipeline", "16", "--instances", "2000", "--services", "10", "--json")
          .await(Duration.ofSeconds(110));
      assertEquals(0, r.code(), r.err());
      Set<String> seen = new HashSet<>();
      for (String line : r.lines()) {
        Matcher m = ROW.matcher(line);
        assertTrue(m.matches(), "not a result row: " + line);
        seen.add(m.group(1) + "/" + m.group(2));
        assertTrue(Long.parseLong(m.group(6)) > 0, "no call completed: " + line);
        assertEquals("0", m.group(7), "errors: " + line);
        assertEquals(m.group(2).equals("register-batch") ? "50" : "1", m.group(4), line);
      }
      for (String store : List.of("memory", "redis")) {
        for (String call : List.of("register", "register-batch", "keepalive")) {
          assertTrue(seen.contains(store + "/" + call), store + "/" + call + " missing from:\n" + r.out());
        }
      }
      assertTrue(r.err().contains("per_s"), "the table on stderr:\n" + r.err());
    }
    // The bench's redis-servers (their --dir is in the run's directory) must not outlive it.
    try (java.util.stream.Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      assertTrue(all.noneMatch(p -> p.info().commandLine().orElse("").contains("vertice-bench-register")),
          "a process of the run is still alive");
    }
  }
}
