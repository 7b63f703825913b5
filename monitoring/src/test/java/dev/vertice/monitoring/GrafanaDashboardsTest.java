package dev.vertice.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboards are generated from one definition, current, and every query is valid PromQL. */
class GrafanaDashboardsTest {

  /** The seed's twelve dashboards, plus push/convergence and canary. */
  static final Set<String> TITLES = Set.of("Service Registry Health", "Health Check Cache",
      "API Gateway Performance", "Circuit Breakers Overview", "System Performance Overview", "Alerting & Incidents",
      "Service Discovery", "System Overview", "SLA & Availability", "Infrastructure Metrics", "Redis Performance",
      "Custom Business Metrics", "Push & Convergence", "Canary Rollouts");

  @TempDir
  Path tmp;

  @Test
  void committedDashboardsAreWhatTheGeneratorWrites() throws Exception {
    Tool.ok("python3", "grafana/generate.py", "--check");
  }

  @Test
  void theFourteenDashboardsAreThere() throws Exception {
    TreeSet<String> titles = new TreeSet<>();
    try (Stream<Path> files = Files.list(Tool.MONITORING.resolve("grafana/dashboards"))) {
      for (Path f : files.toList()) {
        Matcher m = Pattern.compile("\\n  \"title\": \"([^\"]+)\"").matcher(Files.readString(f, StandardCharsets.UTF_8));
        assertTrue(m.find(), f + " has no title");
        titles.add(m.group(1).replace("\\u0026", "&"));
      }
    }
    assertEquals(new TreeSet<>(TITLES), titles);
  }

  @Test
  void everyQueryIsValidPromql() throws Exception {
    // promtool parses the queries when they are recording rules.
    List<String> queries = Tool.ok("python3", "grafana/generate.py", "--queries").lines().toList();
    assertTrue(queries.size() > 50, "queries: " + queries.size());
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
    for (int i = 0; i < queries.size(); i++) {
      rules.append("      - record: dashboard_query_").append(i).append("\n        expr: '")
          .append(queries.get(i).replace("'", "''")).append("'\n");
    }
    Path file = tmp.resolve("queries.yml");
    Files.writeString(file, rules);
    String out = Tool.ok("promtool", "check", "rules", file.toString());
    assertTrue(out.contains("SUCCESS: " + queries.size() + " rules found"), out);
  }

  @Test
  void provisioningPointsAtPrometheusAndTheDashboards() throws Exception {
    String ds = Files.readString(Tool.MONITORING.resolve("grafana/provisioning/datasources/prometheus.yml"));
    assertTrue(ds.contains("url: http://prometheus:9090") && ds.contains("uid: prometheus"), ds);
    String provider = Files.readString(Tool.MONITORING.resolve("grafana/provisioning/dashboards/vertice.yml"));
    assertTrue(provider.contains("path: /var/lib/grafana/dashboards"), provider);
  }
}
