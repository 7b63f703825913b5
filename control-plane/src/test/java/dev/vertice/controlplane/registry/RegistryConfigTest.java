package dev.vertice.controlplane.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RegistryConfigTest {

  @Test
  void fromKeepsWhatItDoesNotSet() {
    RegistryConfig base = RegistryConfig.custom().grace(Duration.ofSeconds(7)).maxInstances(42).build();
    RegistryConfig copy = RegistryConfig.from(base).maxInstancesPerService(3).build();
    assertEquals(Duration.ofSeconds(7), copy.grace());
    assertEquals(42, copy.maxInstances());
    assertEquals(3, copy.maxInstancesPerService());
    assertEquals(RegistryConfig.DEFAULT_TTL, copy.defaultTtl());
    assertEquals(RegistryConfig.ofDefaults().toString(),
        RegistryConfig.from(RegistryConfig.ofDefaults()).build().toString());
  }
}
