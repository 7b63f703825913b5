package dev.vertice.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FakeClockTest {

  @Test
  void cancellingAPeriodicTaskAfterItRanStopsLaterRuns() {
    FakeClock clock = new FakeClock();
    AtomicInteger runs = new AtomicInteger();
    ScheduledFuture<?> f = clock.scheduler().scheduleAtFixedRate(runs::incrementAndGet, 1, 1, TimeUnit.SECONDS);
    clock.forwardTime(Duration.ofMillis(2500));
    assertEquals(2, runs.get());
    assertTrue(f.cancel(false));
    clock.forwardTime(Duration.ofSeconds(10));
    assertEquals(2, runs.get(), "no run after cancel");
    assertEquals(0, clock.pendingTasks());
    assertTrue(f.isCancelled());
  }

  @Test
  void tasksRunInDeadlineOrderAndPeriodicTasksInterleave() {
    FakeClock clock = new FakeClock();
    List<String> order = new ArrayList<>();
    clock.scheduler().scheduleAtFixedRate(() -> order.add("p"), 0, 2, TimeUnit.SECONDS);
    clock.scheduler().schedule(() -> order.add("a"), 1, TimeUnit.SECONDS);
    clock.scheduler().schedule(() -> order.add("b"), 3, TimeUnit.SECONDS);
    clock.forwardTime(Duration.ofSeconds(4));
    assertEquals(List.of("p", "a", "p", "b", "p"), order);
  }

  @Test
  void timeMovesOnlyWhenTheTestSaysSo() {
    FakeClock clock = new FakeClock();
    long start = clock.nanoTime();
    clock.forwardTime(Duration.ofMillis(1500));
    assertEquals(1_500_000_000L, clock.nanoTime() - start);
  }
}
