package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class InstanceSpecTest {

  @Test
  void fromCopiesEveryFieldSoOnlyTheOneChangedDiffers() {
    InstanceSpec base = InstanceSpec.builder("orders").instanceId("o-1").address("10.0.0.1").port(8080)
        .version("v2").zone("eu-1").weight(7).metadata("team", "payments").ttl(Duration.ofSeconds(9))
        .keepaliveInterval(Duration.ofSeconds(3)).build();
    InstanceSpec draining = InstanceSpec.from(base).health(HealthStatus.HEALTH_STATUS_DRAINING).build();
    assertEquals(HealthStatus.HEALTH_STATUS_DRAINING, draining.health());
    assertEquals(base, InstanceSpec.from(draining).health(base.health()).build());
  }

  @Test
  void impossibleValuesAreRejectedQuotingThem() {
    IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
        () -> InstanceSpec.builder("orders").address("10.0.0.1").port(70000).build());
    assertTrue(port.getMessage().contains("70000"), port.getMessage());
    IllegalArgumentException ttl = assertThrows(IllegalArgumentException.class,
        () -> InstanceSpec.builder("orders").address("10.0.0.1").port(1).ttl(Duration.ZERO).build());
    assertTrue(ttl.getMessage().contains("ttl") && ttl.getMessage().contains("PT0S"), ttl.getMessage());
  }
}
