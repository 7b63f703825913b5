package dev.vertice.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class HealthCheckConfigTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    HealthCheckConfig c = HealthCheckConfig.ofDefaults();
    assertEquals(Duration.ofSeconds(5), c.cacheTtl());
    assertEquals(Duration.ofSeconds(30), c.redisTtl());
    assertTrue(c.redisUri().isEmpty());
    assertEquals(16, c.maxConcurrentProbes());
    assertEquals(20, c.maxProbeRoundsPerSecond());
    assertEquals(HealthCheckConfig.DEFAULT_MAX_PROBE_ROUNDS_PER_SECOND, c.maxProbeRoundsPerSecond());
    assertEquals(7, HealthCheckConfig.from(HealthCheckConfig.custom().maxProbeRoundsPerSecond(7).build()).build()
        .maxProbeRoundsPerSecond(), "from(base) keeps it");
  }

  @Test
  void rejectedRedisUriIsQuotedWithoutItsPassword() {
    for (String bad : java.util.List.of("http://:hunter2-pw@h:1/0", "redis://user:hunter2-pw@h:notaport/0")) {
      String message = assertThrows(IllegalArgumentException.class,
          () -> HealthCheckConfig.custom().redisUri(URI.create(bad))).getMessage();
      assertTrue(!message.contains("hunter2") && message.contains("***@h:"), message);
    }
  }

  @Test
  void badValuesAreRejectedQuotingTheValue() {
    assertEquals("cacheTtl must be at least PT0.001S: PT0S", assertThrows(IllegalArgumentException.class,
        () -> HealthCheckConfig.custom().cacheTtl(Duration.ZERO)).getMessage());
    assertEquals("maxConcurrentProbes must be in [1, 10000]: 0", assertThrows(IllegalArgumentException.class,
        () -> HealthCheckConfig.custom().maxConcurrentProbes(0)).getMessage());
    assertEquals("maxProbeRoundsPerSecond must be in [1, 100000]: 0", assertThrows(IllegalArgumentException.class,
        () -> HealthCheckConfig.custom().maxProbeRoundsPerSecond(0)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> HealthCheckConfig.custom().redisUri(URI.create("http://x:1"))).getMessage().contains("'http://x:1'"));
    assertEquals("breakerMinimumCalls (6) must not exceed breakerWindow (5)", assertThrows(
        IllegalArgumentException.class, () -> HealthCheckConfig.custom().breakerMinimumCalls(6).build()).getMessage());
  }
}
