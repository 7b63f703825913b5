package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffConfigTest {

  @Test
  void defaultsAre100MillisTimes1point6UpTo5SecondsWith20PercentJitter() {
    BackoffConfig c = BackoffConfig.ofDefaults();
    assertEquals(Duration.ofMillis(100), c.initialDelay());
    assertEquals(Duration.ofSeconds(5), c.maxDelay());
    assertEquals(1.6, c.multiplier());
    assertEquals(0.2, c.jitter());
  }

  @Test
  void settersRejectImpossibleValuesQuotingThem() {
    assertMessageContains("PT-0.001S", () -> BackoffConfig.custom().initialDelay(Duration.ofMillis(-1)));
    assertMessageContains("PT0S", () -> BackoffConfig.custom().maxDelay(Duration.ZERO));
    assertMessageContains("0.5", () -> BackoffConfig.custom().multiplier(0.5));
    assertMessageContains("NaN", () -> BackoffConfig.custom().multiplier(Double.NaN));
    assertMessageContains("1.5", () -> BackoffConfig.custom().jitter(1.5));
    assertMessageContains("PT10S", () -> BackoffConfig.custom().initialDelay(Duration.ofSeconds(10)).build());
  }

  @Test
  void fromStartsFromTheBaseAndLeavesItUnchanged() {
    BackoffConfig base = BackoffConfig.custom().initialDelay(Duration.ofMillis(50)).multiplier(2).jitter(0).build();
    BackoffConfig copy = BackoffConfig.from(base).maxDelay(Duration.ofSeconds(1)).build();
    assertEquals(Duration.ofMillis(50), copy.initialDelay());
    assertEquals(Duration.ofSeconds(1), copy.maxDelay());
    assertEquals(2.0, copy.multiplier());
    assertEquals(0.0, copy.jitter());
    assertEquals(Duration.ofSeconds(5), base.maxDelay());
  }

  private static void assertMessageContains(String quoted, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(quoted), e.getMessage());
  }
}
