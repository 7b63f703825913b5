package dev.vertice.gateway.resilience;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Breaker} behaves as the resilience4j count-based breaker it replaced: the same states for
 * the same calls (checked step by step against resilience4j on random sequences), a sliding window
 * that forgets old failures, limited half-open probes, and exact counts under concurrent outcomes.
 */
@Timeout(30)
class BreakerTest {

  private final FakeClock clock = new FakeClock();

  private Breaker breaker(float rate, int window, int minCalls) {
    return new Breaker("b", rate, window, minCalls, Duration.ofSeconds(5).toNanos(), 2, clock);
  }

  @Test
  void opensOnceTheWindowHoldsEnoughFailuresAndForgetsOldOnes() {
    Breaker b = breaker(50, 4, 4);
    b.onError();
    b.onError();
    b.onError();
    assertEquals(State.CLOSED, b.state(), "3 calls: fewer than the minimum");
    b.onSuccess();
    assertEquals(State.OPEN, b.state(), "3 of 4 failed");

    Breaker slide = breaker(50, 4, 4);
    slide.onError();
    slide.onSuccess();
    slide.onSuccess();
    slide.onSuccess();
    for (int i = 0; i < 100; i++) {
      slide.onSuccess();
    }
    slide.onError();
    assertEquals(State.CLOSED, slide.state(), "the first failure left the window: 1 of 4");
    slide.onError();
    assertEquals(State.OPEN, slide.state(), "2 of 4");
  }

  @Test
  void halfOpenLetsItsProbesThroughThenClosesOrOpensAgain() {
    Breaker b = breaker(50, 4, 2);
    List<State> transitions = new ArrayList<>();
    b.onTransition(transitions::add);
    b.onError();
    b.onError();
    assertFalse(b.tryAcquirePermission());
    clock.forwardTime(Duration.ofSeconds(5));
    assertFalse(b.tryAcquirePermission(), "open for the whole wait");
    clock.forwardTime(Duration.ofMillis(1));
    assertEquals(State.OPEN, b.state(), "stays open until a call is asked for");
    assertTrue(b.tryAcquirePermission());
    assertEquals(State.HALF_OPEN, b.state());
    assertTrue(b.tryAcquirePermission());
    assertFalse(b.tryAcquirePermission(), "2 probes only");
    b.releasePermission();
    assertTrue(b.tryAcquirePermission(), "a probe given back frees its place");
    b.onSuccess();
    b.onError();
    assertEquals(State.OPEN, b.state(), "1 of 2 probes failed: 50 %");
    clock.forwardTime(Duration.ofMillis(5_001));
    assertTrue(b.tryAcquirePermission());
    assertTrue(b.tryAcquirePermission());
    b.onSuccess();
    b.onSuccess();
    assertEquals(State.CLOSED, b.state());
    assertTrue(b.tryAcquirePermission());
    b.onError();
    assertEquals(State.CLOSED, b.state(), "closed with an empty window: 1 call is under the minimum");
    assertEquals(List.of(State.OPEN, State.HALF_OPEN, State.OPEN, State.HALF_OPEN, State.CLOSED), transitions);
  }

  @Test
  void sameStatesAsResilience4jOnRandomSequences() {
    for (int seed = 0; seed < 40; seed++) {
      Random rnd = new Random(seed);
      float rate = 20 + rnd.nextInt(70);
      int window = 1 + rnd.nextInt(12);
      int minCalls = Math.min(window, 1 + rnd.nextInt(12));
      int halfOpen = 1 + rnd.nextInt(4);
      Breaker ours = new Breaker("b", rate, window, minCalls, Duration.ofSeconds(5).toNanos(), halfOpen, clock);
      CircuitBreaker theirs = CircuitBreaker.of("r4j", CircuitBreakerConfig.custom()
          .failureRateThreshold(rate)
          .slidingWindow(window, minCalls, CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
          .waitDurationInOpenState(Duration.ofSeconds(5))
          .permittedNumberOfCallsInHalfOpenState(halfOpen)
          .clock(new TickerClock(clock))
          .currentTimestampFunction(c -> clock.nanoTime(), TimeUnit.NANOSECONDS)
          .build());
      double failureShare = rnd.nextDouble();
      int held = 0;
      for (int step = 0; step < 2_000; step++) {
        int what = rnd.nextInt(20);
        if (what == 0) {
          clock.forwardTime(Duration.ofSeconds(1 + rnd.nextInt(4)));
        } else if (what == 1 && held > 0) {
          ours.releasePermission();
          theirs.releasePermission();
          held--;
        } else if (what < 8 || held == 0) {
          boolean a = ours.tryAcquirePermission();
          boolean b = theirs.tryAcquirePermission();
          assertEquals(b, a, "permission, seed " + seed + " step " + step);
          if (a) {
            held++;
          }
        } else {
          held--;
          if (rnd.nextDouble() < failureShare) {
            ours.onError();
            theirs.onError(1, TimeUnit.MILLISECONDS, new RuntimeException("x"));
          } else {
            ours.onSuccess();
            theirs.onSuccess(1, TimeUnit.MILLISECONDS);
          }
        }
        assertEquals(theirs.getState(), ours.state(), "state, seed " + seed + " step " + step);
      }
    }
  }

  @Test
  void concurrentOutcomesKeepAnExactWindow() throws Exception {
    Breaker b = breaker(50, 1_000, 1_000);
    inThreads(4, () -> {
      for (int i = 0; i < 20_000; i++) {
        b.onSuccess();
      }
    });
    inThreads(4, () -> {
      for (int i = 0; i < 124; i++) {
        b.onError();
      }
    });
    assertEquals(State.CLOSED, b.state(), "496 failures of 1,000 is under 50 %");
    for (int i = 0; i < 4; i++) {
      b.onError();
    }
    assertEquals(State.OPEN, b.state(), "500 of 1,000: every failure was counted once");
  }

  private static void inThreads(int n, Runnable work) throws InterruptedException {
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        work.run();
      });
      ts.add(th);
      th.start();
    }
    start.countDown();
    for (Thread th : ts) {
      th.join(20_000);
    }
  }

  @Test
  void badSettingsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> breaker(0, 4, 4));
    assertThrows(IllegalArgumentException.class, () -> breaker(50, 0, 4));
  }
}
