package dev.vertice.gateway.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RoundRateLimitTest {

  private final FakeClock clock = new FakeClock();

  private int acquired(RoundRateLimit limit, int tries) {
    int n = 0;
    for (int i = 0; i < tries; i++) {
      if (limit.tryAcquire()) {
        n++;
      }
    }
    return n;
  }

  @Test
  void holdsOneSecondsWorthAndRefillsAtTheRate() {
    RoundRateLimit limit = new RoundRateLimit(clock, 4);
    assertEquals(4, acquired(limit, 10), "a full bucket: one second's worth");
    assertFalse(limit.tryAcquire());
    clock.forwardTime(Duration.ofMillis(250));
    assertTrue(limit.tryAcquire(), "a quarter second brings one of four back");
    assertFalse(limit.tryAcquire());
    clock.forwardTime(Duration.ofHours(1));
    assertEquals(4, acquired(limit, 10), "a long pause refills to one second's worth, no more");
  }

  @Test
  void aRateBelowOneIsRefused() {
    assertEquals("perSecond must be positive: 0",
        assertThrows(IllegalArgumentException.class, () -> new RoundRateLimit(clock, 0)).getMessage());
  }
}
