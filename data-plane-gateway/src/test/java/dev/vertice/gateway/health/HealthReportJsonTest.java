package dev.vertice.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vertice.gateway.health.HealthReport.InstanceReport;
import dev.vertice.gateway.health.HealthReport.InstanceStatus;
import dev.vertice.gateway.health.HealthReport.Layer;
import dev.vertice.gateway.health.HealthReport.Status;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthReportJsonTest {

  private final HealthReport report = new HealthReport("orders", Status.DEGRADED, Layer.MEMORY,
      Duration.ofMillis(1500), "closed", 3, List.of(
          new InstanceReport("a", "10.0.0.1", 8080, "http", "v1", InstanceStatus.SERVING, "HTTP 200",
              Duration.ofNanos(1_234_000)),
          new InstanceReport("b\"x", "::1", 9090, "grpc", "v2", InstanceStatus.NOT_SERVING,
              "IOException: \"refused\"\n", Duration.ZERO)));

  @Test
  void rendersTheAnswer() {
    assertEquals("{\"service\":\"orders\",\"status\":\"DEGRADED\",\"layer\":\"memory\",\"age_ms\":1500,"
        + "\"breaker\":\"closed\",\"instances_total\":3,\"instances\":["
        + "{\"instance_id\":\"a\",\"address\":\"10.0.0.1\",\"port\":8080,\"protocol\":\"http\",\"version\":\"v1\","
        + "\"status\":\"SERVING\",\"detail\":\"HTTP 200\",\"latency_ms\":1.234},"
        + "{\"instance_id\":\"b\\\"x\",\"address\":\"::1\",\"port\":9090,\"protocol\":\"grpc\",\"version\":\"v2\","
        + "\"status\":\"NOT_SERVING\",\"detail\":\"IOException: \\\"refused\\\"\\n\",\"latency_ms\":0}]}",
        HealthReportJson.toJson(report));
  }

  @Test
  void storedFormRoundTrips() {
    String stored = HealthReportJson.toStored(report);
    HealthReport back = HealthReportJson.fromStored(stored, Layer.REDIS, Duration.ofSeconds(2), "none");
    assertEquals(report.withOrigin(Layer.REDIS, Duration.ofSeconds(2), "none"), back);
  }

  @Test
  void malformedStoredValuesAreRejectedClearly() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HealthReportJson.fromStored("{\"service\":\"x\"}", Layer.REDIS, Duration.ZERO, "none"));
    assertEquals("stored health report: field 'instances' missing or not LIST_VALUE", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> HealthReportJson.fromStored("not json", Layer.REDIS, Duration.ZERO, "none"));
  }
}
