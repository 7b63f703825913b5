package dev.vertice.controlplane.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A ScaledObject's metadata: accepted spellings, defaults, and every problem named by its key. */
@Timeout(10)
class ScalerQueryTest {

  @Test
  void parsesServiceVersionMetricAndTargetIgnoringKedasOwnKeys() {
    ScalerQuery q = ScalerQuery.parse(Map.of("service", "ORDERS_SERVICE", "version", "v2", "metric", "P99_MS",
        "target", "250", "scalerAddress", "vertice:9090")).query().orElseThrow();
    assertEquals(new ScalerQuery("orders-service", "v2", Metric.P99_MS, 250), q);
    assertEquals("vertice-p99-ms-orders-service-v2", q.metricName());

    ScalerQuery defaults = ScalerQuery.parse(Map.of("service", "orders", "target", "0.5")).query().orElseThrow();
    assertEquals(Metric.RPS, defaults.metric());
    assertNull(defaults.version());
    assertEquals("vertice-rps-orders", defaults.metricName());
  }

  @Test
  void everyBadKeyIsReported() {
    List<ScalerQuery.Problem> problems = ScalerQuery.parse(Map.of("service", "no such!", "version", "v 2",
        "metric", "cpu", "target", "-3")).problems();
    assertEquals(List.of("service", "version", "metric", "target"),
        problems.stream().map(ScalerQuery.Problem::key).toList());
    assertTrue(problems.get(2).description().contains("rps|inflight|p99_ms|error_rate"), problems.toString());
    assertTrue(problems.get(3).description().contains("'-3'"), problems.toString());

    List<ScalerQuery.Problem> missing = ScalerQuery.parse(Map.of()).problems();
    assertEquals(List.of("service", "target"), missing.stream().map(ScalerQuery.Problem::key).toList());
    assertTrue(missing.get(0).description().contains("is required"), missing.toString());
    assertEquals(List.of("target"), ScalerQuery.parse(Map.of("service", "orders", "target", "NaN")).problems()
        .stream().map(ScalerQuery.Problem::key).toList());
  }
}
