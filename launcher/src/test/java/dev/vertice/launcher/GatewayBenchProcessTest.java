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
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short run of {@code vertice bench gateway} as users run it: the upstream (nginx), the control
 * plane, the gateway, nginx and HAProxy each in its own process, loaded by wrk, h2load over h2c and
 * h2load at a fixed rate; and the demo gRPC service in its own process, called by h2load directly and
 * through the gateway's gRPC port, closed loop and at a fixed rate. It checks the plumbing (every
 * target and load answered, no error: for gRPC, every answered call carried its message, the JSON
 * fields the README quotes), never a figure.
 */
class GatewayBenchProcessTest {

  private static final Pattern ROW = Pattern.compile(
      "\\{\"bench\":\"gateway\",\"target\":\"(\\w+)\",\"load\":\"([\\w-]+)\",\"connections\":(\\d+),\"rate\":(\\d+),"
          + "\"round\":\"1\",\"rps\":([0-9.]+),\"p50_ms\":[0-9.]+,\"p99_ms\":[0-9.]+,\"p999_ms\":[0-9.]+,"
          + "\"max_ms\":[0-9.]+,\"requests\":(\\d+),\"errors\":(\\d+),\"cpu_us_per_request\":([0-9.]+|null),"
          + "\"rps_vs_nginx\":([0-9.]+|null),"
          + "\"p99_vs_nginx\":([0-9.]+|null),\"rps_vs_direct\":([0-9.]+|null),"
          + "\"p99_over_direct_ms\":(-?[0-9.]+|null)}");

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void everyTargetAnswersEveryLoadInItsOwnProcess(@TempDir Path dir) throws Exception {
    try (LauncherProcess cli = new LauncherProcess(dir)) {
      LauncherProcess.Result r = cli.start("bench", "gateway", "--seconds", "1", "--warmup-seconds", "1",
          "--rounds", "1", "--connections", "4", "--h2c-connections", "2", "--h2c-streams", "2", "--rate", "100",
          "--rate-connections", "2", "--proxy-workers", "1", "--grpc-connections", "2", "--grpc-rate", "50", "--json")
          .await(Duration.ofSeconds(140));
      assertEquals(0, r.code(), r.err());
      Set<String> seen = new HashSet<>();
      for (String line : r.lines()) {
        Matcher m = ROW.matcher(line);
        assertTrue(m.matches(), "not a result row: " + line);
        String target = m.group(1);
        String load = m.group(2);
        seen.add(target + "/" + load);
        assertTrue(Long.parseLong(m.group(6)) > 0, "no request completed: " + line);
        assertEquals("0", m.group(7), "errors: " + line);
        boolean grpc = load.startsWith("grpc");
        boolean rate = load.endsWith("rate");
        // Every target's server used some CPU for the requests it answered (the kernel counts in 10 ms ticks,
        // so a 1 s run of thousands of requests can still round to 0 for a light server: not negative, not null).
        assertTrue(!m.group(8).equals("null") && Double.parseDouble(m.group(8)) >= 0, "CPU per request: " + line);
        assertEquals(target.equals("nginx") || grpc, m.group(9).equals("null"), "ratio to nginx: " + line);
        assertEquals(!rate && !target.equals("direct"), !m.group(11).equals("null"), "req/s over direct: " + line);
        assertEquals(rate && !target.equals("direct"), !m.group(12).equals("null"), "p99 over direct: " + line);
        if (rate) {
          assertEquals(grpc ? "50" : "100", m.group(4), line);
        }
      }
      for (String target : List.of("direct", "gateway", "nginx", "haproxy")) {
        for (String load : List.of("wrk", "h2c", "rate")) {
          assertTrue(seen.contains(target + "/" + load), target + "/" + load + " missing from:\n" + r.out());
        }
      }
      // gRPC unary on the demo gRPC service: direct and through the gateway only.
      assertEquals(Set.of("direct/grpc", "gateway/grpc", "direct/grpc-rate", "gateway/grpc-rate"),
          seen.stream().filter(k -> k.contains("/grpc")).collect(Collectors.toSet()),
          r.out());
      assertTrue(r.err().contains("rps_vs_nginx"), "the table on stderr:\n" + r.err());
    }
  }
}
