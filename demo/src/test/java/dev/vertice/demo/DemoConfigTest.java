package dev.vertice.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DemoConfigTest {

  @Test
  void instanceIdDefaultsToTheServiceAndFromKeepsIt() {
    assertEquals("test-service-1", DemoConfig.ofDefaults().instanceId());
    DemoConfig orders = DemoConfig.custom().service("orders").latency(Duration.ofMillis(5)).build();
    assertEquals("orders-1", orders.instanceId());
    assertEquals(0, orders.port());
    DemoConfig v2 = DemoConfig.from(orders).version("v2").build();
    assertEquals("orders-1", v2.instanceId());
    assertEquals("v2", v2.version());
    assertEquals(Duration.ofMillis(5), v2.latency());
  }

  @Test
  void settersRejectBadValuesQuotingThem() {
    assertEquals("port 70000 is outside 0..65535", assertThrows(IllegalArgumentException.class,
        () -> DemoConfig.custom().port(70000)).getMessage());
    assertEquals("errorRate 1.5 is outside 0..1", assertThrows(IllegalArgumentException.class,
        () -> DemoConfig.custom().errorRate(1.5)).getMessage());
    assertEquals("service must not be empty: ' '", assertThrows(IllegalArgumentException.class,
        () -> DemoConfig.custom().service(" ")).getMessage());
  }
}
