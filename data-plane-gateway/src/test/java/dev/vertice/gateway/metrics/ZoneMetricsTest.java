package dev.vertice.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vertice.gateway.balancer.ZoneAwareBalancer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ZoneMetricsTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private double count(String zone, String locality) {
    return registry.get("vertice.gateway.zone.requests").tag("zone", zone).tag("locality", locality).counter().count();
  }

  @Test
  void picksAreCountedPerZoneAndLocality() {
    ZoneAwareBalancer.ZoneObserver o = new GatewayMetrics(registry).zoneObserver();
    o.picked("a", true);
    o.picked("a", true);
    o.picked("b", false);
    o.picked("", false);
    assertEquals(2, count("a", "local"));
    assertEquals(0, count("a", "remote"));
    assertEquals(1, count("b", "remote"));
    assertEquals(1, count("none", "remote"));
  }

  @Test
  void zonesBeyondTheBoundCountAsOther() {
    ZoneAwareBalancer.ZoneObserver o = new GatewayMetrics(registry).zoneObserver();
    for (int i = 0; i < GatewayMetrics.MAX_ZONES + 10; i++) {
      o.picked("z" + i, false);
    }
    assertEquals(GatewayMetrics.MAX_ZONES + 1, registry.find("vertice.gateway.zone.requests").tag("locality", "remote")
        .counters().size(), "at most MAX_ZONES zones plus 'other'");
    assertEquals(10, count("other", "remote"));
  }
}
