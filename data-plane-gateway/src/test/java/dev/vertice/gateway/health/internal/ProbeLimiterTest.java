package dev.vertice.gateway.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ProbeLimiterTest {

  @Test
  void runsAtMostMaxConcurrentQueuesAtMostMaxQueuedAndRejectsTheRest() {
    ProbeLimiter limiter = new ProbeLimiter(2, 1);
    List<CompletableFuture<String>> started = new ArrayList<>();
    List<CompletableFuture<String>> results = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      results.add(limiter.submit(() -> {
        CompletableFuture<String> f = new CompletableFuture<>();
        started.add(f);
        return f;
      }, () -> "rejected"));
    }
    assertEquals(2, started.size(), "two in flight");
    assertEquals(2, limiter.inFlight());
    assertEquals(1, limiter.queued());
    assertEquals("rejected", results.get(3).join(), "the fourth finds the queue full");

    started.get(0).complete("first");
    assertEquals("first", results.get(0).join());
    assertEquals(3, started.size(), "the queued probe took the freed slot");
    assertEquals(2, limiter.inFlight());
    assertEquals(0, limiter.queued());

    started.get(1).completeExceptionally(new IllegalStateException("boom"));
    assertTrue(results.get(1).isCompletedExceptionally());
    started.get(2).complete("third");
    assertEquals("third", results.get(2).join());
    assertEquals(0, limiter.inFlight());
  }

  @Test
  void aProbeThatThrowsFailsItsFutureAndFreesItsSlot() {
    ProbeLimiter limiter = new ProbeLimiter(1, 0);
    CompletableFuture<String> f = limiter.submit(() -> {
      throw new IllegalArgumentException("bad");
    }, () -> "rejected");
    assertTrue(f.isCompletedExceptionally());
    assertEquals(0, limiter.inFlight());
    assertFalse(limiter.submit(() -> CompletableFuture.completedFuture("ok"), () -> "rejected").isCompletedExceptionally());
  }

  @Test
  void rejectsNonsenseLimits() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ProbeLimiter(0, 1));
    assertTrue(e.getMessage().contains("0"), e.getMessage());
  }
}
