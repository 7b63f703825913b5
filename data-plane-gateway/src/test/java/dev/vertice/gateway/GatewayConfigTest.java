package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vertice.gateway.resilience.ResilienceConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {

  @Test
  void fromCopiesEverySettingAndChangesOnlyWhatIsSet() {
    GatewayConfig base = GatewayConfig.custom().port(9000).maxBodyBytes(1234).idleTimeout(Duration.ofSeconds(7))
        .resilience(ResilienceConfig.custom().retries(0.5, 2, 4).build()).build();
    GatewayConfig copy = GatewayConfig.from(base).grpcPort(-1).build();
    assertEquals(9000, copy.port());
    assertEquals(-1, copy.grpcPort());
    assertEquals(1234, copy.maxBodyBytes());
    assertEquals(Duration.ofSeconds(7), copy.idleTimeout());
    assertEquals(4, copy.resilience().maxAttempts());
    assertEquals(GatewayConfig.DEFAULT_PORT, GatewayConfig.ofDefaults().port());
    assertEquals(GatewayConfig.DEFAULT_REQUEST_TIMEOUT, GatewayConfig.ofDefaults().requestTimeout());
  }

  @Test
  void settersRejectBadValuesAtOnceQuotingThem() {
    assertEquals("invalid port: 70000 is outside 0..65535", assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.custom().port(70000)).getMessage());
    assertEquals("invalid idle-timeout: PT0S is not positive", assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.custom().idleTimeout(Duration.ZERO)).getMessage());
    assertEquals("invalid maxAttempts: 11", assertThrows(IllegalArgumentException.class,
        () -> ResilienceConfig.from(ResilienceConfig.ofDefaults()).retries(0.2, 10, 11)).getMessage());
    assertEquals("invalid maxEjection: PT1S", assertThrows(IllegalArgumentException.class,
        () -> ResilienceConfig.custom().outlier(5, Duration.ofSeconds(10), Duration.ofSeconds(1))).getMessage());
  }
}
