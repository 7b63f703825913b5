package dev.vertice.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Validates monitoring/prometheus with promtool: config, rules, and the rules' unit tests. */
class PrometheusFilesTest {

  private static final Path RULES = Tool.MONITORING.resolve("prometheus/alerts/vertice.yml");
  private static final Path RULE_TESTS = Tool.MONITORING.resolve("prometheus/tests/vertice_test.yml");

  /**
   * The seed's rules by group, plus ours (push, staleness, NACKs, canary) and the self-healing
   * group (a sidecar's supervised app): 21 in all.
   */
  static final Map<String, List<String>> EXPECTED = new LinkedHashMap<>();

  static {
    EXPECTED.put("service-registry-health", List.of("ServiceRegistryDown", "RegistryCircuitBreakerStuckOpen",
        "RegistryCircuitBreakerOpen", "RegistryHighLatency"));
    EXPECTED.put("health-check-cache", List.of("HealthCacheLowHitRate", "ServiceCircuitBreakerOpen",
        "ServiceCircuitBreakerStuckOpen", "ServiceCircuitBreakerFlapping", "ServiceCircuitBreakerRecovered",
        "HealthCacheRedisLayerDown"));
    EXPECTED.put("gateway-health", List.of("GatewayDown", "GatewayHighErrorRate"));
    EXPECTED.put("service-discovery", List.of("NewServiceRegistered", "ServiceDeregistrationSpike"));
    EXPECTED.put("performance", List.of("HealthCheckHighLatency", "HealthCachePerformanceGood",
        "PushConvergenceSlow", "DataPlaneStale", "WatchNacksRising", "CanaryRolledBack"));
    EXPECTED.put("self-healing", List.of("SidecarAppCrashLooping"));
  }

  @Test
  void configIsValid() throws Exception {
    Tool.ok("promtool", "check", "config", "prometheus/prometheus.yml");
  }

  @Test
  void rulesAreValidAndAreTheExpectedTwentyOneInSixGroups() throws Exception {
    String out = Tool.ok("promtool", "check", "rules", "prometheus/alerts/vertice.yml");
    assertTrue(out.contains("SUCCESS: 21 rules found"), out);
    Map<String, List<String>> found = new LinkedHashMap<>();
    String group = null;
    for (String line : Files.readAllLines(RULES, StandardCharsets.UTF_8)) {
      Matcher g = Pattern.compile("^  - name: (\\S+)").matcher(line);
      Matcher a = Pattern.compile("^      - alert: (\\S+)").matcher(line);
      if (g.find()) {
        group = g.group(1);
        found.put(group, new java.util.ArrayList<>());
      } else if (a.find()) {
        found.get(group).add(a.group(1));
      }
    }
    assertEquals(EXPECTED, found);
  }

  @Test
  void everyRuleHasSeveritySummaryDescriptionAndRunbook() throws Exception {
    String rules = Files.readString(RULES, StandardCharsets.UTF_8);
    String runbook = Files.readString(Tool.MONITORING.resolve("README.md"), StandardCharsets.UTF_8);
    for (String block : rules.split("\n      - alert: ")) {
      if (!block.startsWith("#") && !block.startsWith("groups")) {
        String name = block.substring(0, block.indexOf('\n')).strip();
        assertTrue(Pattern.compile("severity: (critical|warning|info)\\n").matcher(block).find(), name);
        assertTrue(block.contains("summary: "), name + " lacks a summary");
        assertTrue(block.contains("description: "), name + " lacks a description");
        assertTrue(block.contains("runbook_url: \"monitoring/README.md#" + name.toLowerCase() + "\""), name);
        assertTrue(runbook.contains("### " + name + "\n"), "monitoring/README.md has no runbook for " + name);
      }
    }
  }

  @Test
  void unitTestsPassAndEveryAlertHasAFiringAndAQuietCase() throws Exception {
    String out = Tool.ok("promtool", "test", "rules", "prometheus/tests/vertice_test.yml");
    assertTrue(out.contains("SUCCESS"), out);
    TreeSet<String> fires = new TreeSet<>();
    TreeSet<String> quiet = new TreeSet<>();
    String[] cases = Files.readString(RULE_TESTS, StandardCharsets.UTF_8).split("\n  - eval_time: ");
    for (String c : cases) {
      Matcher name = Pattern.compile("\n    alertname: (\\S+)").matcher(c);
      if (name.find()) {
        (c.contains("exp_alerts: []") ? quiet : fires).add(name.group(1));
      }
    }
    TreeSet<String> all = new TreeSet<>();
    EXPECTED.values().forEach(all::addAll);
    assertEquals(all, fires, "alerts with a case where they fire");
    assertEquals(all, quiet, "alerts with a case where they stay quiet");
  }
}
