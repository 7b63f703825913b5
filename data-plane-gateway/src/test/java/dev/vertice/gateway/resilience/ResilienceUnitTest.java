package dev.vertice.gateway.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Breakers, ejection and the retry budget on a fake clock. */
class ResilienceUnitTest {

  private final FakeClock clock = new FakeClock();

  @Test
  void retryBudgetAllowsItsRatioPlusTheReservePerSecond() {
    RetryBudget b = new RetryBudget(0.1, 2, clock);
    int granted = 0;
    for (int i = 0; i < 100; i++) {
      b.onRequest();
      if (b.tryRetry()) {
        granted++;
      }
    }
    // 10 from the ratio, 2 from the reserve (no time passed).
    assertEquals(12, granted);
    assertFalse(b.tryRetry());
    clock.forwardTime(Duration.ofSeconds(1));
    assertTrue(b.tryRetry());
    assertTrue(b.tryRetry());
    assertFalse(b.tryRetry());
    assertEquals(14, b.retries());
  }

  @Test
  void outlierIsEjectedAfterConsecutiveFailuresForLongerEachTime() {
    OutlierDetector d = new OutlierDetector(3, Duration.ofSeconds(10), Duration.ofSeconds(25), clock);
    d.onFailure();
    d.onFailure();
    d.onSuccess();
    d.onFailure();
    d.onFailure();
    assertFalse(d.isEjected(), "a success breaks the run");
    assertTrue(d.onFailure());
    assertTrue(d.isEjected());
    clock.forwardTime(Duration.ofSeconds(10));
    assertFalse(d.isEjected());
    d.onFailure();
    d.onFailure();
    d.onFailure();
    clock.forwardTime(Duration.ofSeconds(19));
    assertTrue(d.isEjected(), "second ejection lasts 20 s");
    clock.forwardTime(Duration.ofSeconds(1));
    assertFalse(d.isEjected());
    assertEquals(2, d.ejections());
  }

  @Test
  void instanceBreakerOpensOnFailuresAndHalfOpensAfterTheWaitOnTheInjectedClock() {
    Guards guards = new Guards(ResilienceConfig.custom().instanceBreaker(50, 10, 4).openWait(Duration.ofSeconds(5))
        .outlier(100, Duration.ofSeconds(1), Duration.ofSeconds(1)).build(), clock);
    InstanceGuard g = guards.newInstanceGuard("i");
    for (int i = 0; i < 4; i++) {
      assertTrue(g.tryAcquire());
      g.onFailure(1_000_000, new RuntimeException("boom"));
    }
    assertEquals(CircuitBreaker.State.OPEN, g.breakerState());
    assertFalse(g.tryAcquire());
    clock.forwardTime(Duration.ofSeconds(4));
    assertFalse(g.tryAcquire(), "still open during the wait");
    clock.forwardTime(Duration.ofMillis(1001));
    assertTrue(g.tryAcquire(), "probe allowed after the wait");
    assertEquals(CircuitBreaker.State.HALF_OPEN, g.breakerState());
  }

  @Test
  void badSettingsAreRejectedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ResilienceConfig.custom().retries(1.5, 10, 3).build());
    assertTrue(e.getMessage().contains("retryBudgetRatio"), e.getMessage());
  }
}
