package dev.vertice.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The short profile of {@code ./vertice chaos} end to end on real processes: {@code cluster up} (Redis,
 * replica, Sentinels, three control planes, two gateways, a demo service behind its sidecar), open-loop
 * load through both gateways and registration churn while the connected control plane is killed and
 * restarted, an instance is killed with its sidecar, and a control plane is stopped and continued. The
 * correctness targets are asserted through the report: no failed request beyond those in flight to the
 * crashed instance, no acknowledged write lost, the crashed instance out of rotation, the cluster
 * converged after each heal; the timing targets are reported (printed), not asserted, on this shared
 * machine. The durations and rate are the short profile's.
 */
@Timeout(360)
class ChaosShortProfileTest {

  @TempDir
  Path dir;

  @AfterEach
  void tearDown() throws Exception {
    // Whatever still runs from the cluster's state file: continued (a SIGSTOPped process ignores SIGKILL
    // until continued on some kernels) and killed; victims are children of this JVM.
    Path state = dir.resolve("cluster").resolve(ClusterHandle.STATE);
    if (Files.exists(state)) {
      Properties p = new Properties();
      try (var r = Files.newBufferedReader(state)) {
        p.load(r);
      }
      for (String k : p.stringPropertyNames()) {
        if (k.endsWith(".pid")) {
          ProcessHandle.of(Long.parseLong(p.getProperty(k))).ifPresent(h -> {
            try {
              new ProcessBuilder("kill", "-CONT", Long.toString(h.pid())).start().waitFor();
            } catch (Exception e) {
              // gone already
            }
            h.destroyForcibly();
          });
        }
      }
    }
    ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  void shortProfileMeetsTheTargets() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new ChaosCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    long t0 = System.nanoTime();
    int code = cli.execute("--profile", "short", "--start", "--dir", dir.resolve("cluster").toString(), "--json");
    long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
    String json = out.toString();
    System.out.println("chaos short profile in " + seconds + " s:\n" + json + "\n" + err);

    List<String> scenarios = new ArrayList<>();
    for (String s : Scenarios.SHORT) {
      assertTrue(json.contains("\"name\":\"" + s + "\""), s + " ran: " + json + err);
      scenarios.add(s);
    }
    assertEquals(3, scenarios.size());
    // The report checks each target; the test asserts that it found none missed, and that it measured.
    assertTrue(json.contains("\"requests_sent\":"), json);
    assertTrue(!json.contains("\"requests_sent\":0,"), "every scenario's window holds requests: " + json);
    assertTrue(json.contains("\"out_of_rotation_ms\":") && !json.matches("(?s).*kill-instance-with-sidecar[^}]*"
        + "\"out_of_rotation_ms\":null.*"), "the crashed instance left rotation: " + json);
    // Correctness targets are asserted; timing targets (out of rotation <= 5 s, converged <= 2 s) are
    // reported, not asserted: this machine is shared and loaded (see DEVELOPERS.md, the test rules).
    List<String> misses = new ArrayList<>();
    Matcher m = Pattern.compile("\"misses\":\\[([^\\]]*)\\]").matcher(json);
    while (m.find()) {
      Matcher each = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(m.group(1));
      while (each.find()) {
        String miss = each.group(1);
        if (!miss.startsWith("out of rotation after ") && !miss.startsWith("converged ")) {
          misses.add(miss);
        }
      }
    }
    assertEquals(List.of(), misses, "correctness targets missed:\n" + json + err);
    assertTrue(code == 0 || json.contains("\"passed\":false"), "exit code " + code + " matches the report");
    // The cluster the command started is stopped.
    assertTrue(!Files.exists(dir.resolve("cluster").resolve(ClusterHandle.STATE)), "cluster down ran");
  }
}
