package dev.vertice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The bench's own helpers: quantiles, rate steps, and how watcher reports make a change's arrival. */
class PushBenchHelpersTest {

  @Test
  void quantilesAreNearestRankAndP999NeedsAThousandValues() {
    long[] ms = new long[100];
    for (int i = 0; i < ms.length; i++) {
      ms[i] = (100 - i) * 1_000_000L; // 100 ms down to 1 ms, unsorted on purpose
    }
    Latencies l = Latencies.of(ms);
    assertEquals(100, l.count());
    assertEquals(50.0, l.millis(0.50));
    assertEquals(99.0, l.millis(0.99));
    assertEquals(100.0, l.maxMillis());
    assertNull(l.p999Millis(), "100 values cannot tell p99.9 from the maximum");
    assertEquals(100_000_000L, ms[0], "the caller's array is left as it was");

    long[] many = new long[2000];
    for (int i = 0; i < many.length; i++) {
      many[i] = (i + 1) * 1_000L;
    }
    assertEquals(1.998, Latencies.of(many).p999Millis());
  }

  @Test
  void samplesAreOneCsvLinePerChangeInMicroseconds() {
    PushBench.Shape shape = new PushBench.Shape(100, 8, 1, 1);
    List<PushRun.Sample> samples = List.of(new PushRun.Sample(1_765_000_000_000_000L, 812_345, 301_999),
        new PushRun.Sample(1_765_000_000_002_000L, 4_000_000, 999));
    assertEquals("vertice,100,8,1765000000000000,812,301\n" + "vertice,100,8,1765000000002000,4000,0\n",
        PushSamples.lines("vertice", shape, samples));
    assertEquals("", PushSamples.lines("etcd", shape, List.of()));
    assertEquals(6, PushSamples.HEADER.split(",").length, "one header column per field of a line");
  }

  @Test
  void emptySamplesAndRatiosGiveNoFigure() {
    Latencies empty = Latencies.of(new long[0]);
    assertNull(empty.millis(0.5));
    assertNull(empty.maxMillis());
    assertNull(Latencies.ratio(1.0, null));
    assertNull(Latencies.ratio(1.0, 0.0));
    assertEquals(0.33, Latencies.ratio(1.0, 3.0));
  }

  @Test
  void rateStepsRiseUntilTheP99LimitIsPassed() {
    RateSteps steps = new RateSteps(100, 2, 10_000, 100);
    List<Integer> tried = new ArrayList<>();
    double[] p99 = {5, 20, 80, 150};
    for (double p : p99) {
      OptionalInt next = steps.next();
      assertTrue(next.isPresent());
      tried.add(next.getAsInt());
      steps.record(p, true);
    }
    assertEquals(List.of(100, 200, 400, 800), tried);
    assertFalse(steps.next().isPresent(), "the step past the limit ends the search");
    assertEquals(400, steps.sustained());
  }

  @Test
  void rateStepsStopOnALostChangeAndAtTheHighestRate() {
    RateSteps lost = new RateSteps(50, 2, 1000, 100);
    assertFalse(lost.record(1, false), "a lost change is not sustained, whatever the p99");
    assertEquals(0, lost.sustained());
    assertFalse(lost.next().isPresent());

    RateSteps capped = new RateSteps(300, 2, 500, 100);
    capped.record(1, true);
    assertEquals(OptionalInt.of(500), capped.next(), "the last step is the highest rate asked for");
    capped.record(1, true);
    assertFalse(capped.next().isPresent());
    assertEquals(500, capped.sustained());
    assertThrows(IllegalStateException.class, () -> capped.record(1, true));
  }

  @Test
  void rateStepsRejectImpossibleSettings() {
    assertThrows(IllegalArgumentException.class, () -> new RateSteps(0, 2, 10, 100));
    assertThrows(IllegalArgumentException.class, () -> new RateSteps(10, 1, 100, 100));
    assertThrows(IllegalArgumentException.class, () -> new RateSteps(100, 2, 10, 100));
  }

  @Test
  void aServiceCompletesWhenItsLastWatcherHoldsTheValueEvenAfterASkip() {
    List<long[]> done = new ArrayList<>();
    ServiceTracker t = new ServiceTracker(2, 0, (seq, micros) -> done.add(new long[] {seq, micros}));
    t.update(0, 1, 10);
    assertTrue(done.isEmpty(), "one of two watchers");
    t.update(1, 1, 15);
    t.update(0, 3, 20); // coalesced: 2 was never sent to watcher 0
    t.update(1, 2, 25);
    t.update(1, 2, 26); // the same value again counts once
    t.update(1, 3, 30);
    assertEquals(3, done.size());
    assertEquals(List.of(1L, 2L, 3L), done.stream().map(d -> d[0]).toList());
    assertEquals(List.of(15L, 25L, 30L), done.stream().map(d -> d[1]).toList());
  }

  @Test
  void aChangeArrivesWhenEveryProcessReportedItAtTheLatestTime() throws Exception {
    Arrivals a = new Arrivals(new int[] {2, 1});
    CompletableFuture<Long> both = a.expect(0, 7);
    CompletableFuture<Long> one = a.expect(1, 7);
    a.accept("seen 0 7 1000");
    a.accept("ready");
    a.accept("seen 0 6 5000"); // nobody expects it: dropped
    assertFalse(both.isDone());
    a.accept("seen 0 7 900");
    assertEquals(1000L, both.get());
    a.report(1, 7, 42);
    assertEquals(42L, one.get());
    CompletableFuture<Long> forgotten = a.expect(1, 8);
    a.forget(1, 8);
    a.report(1, 8, 1);
    assertFalse(forgotten.isDone());
  }

  @Test
  void memoryFiguresAreReadFromJcmdAndProc() {
    String heapInfo = """
        123:
         garbage-first heap   total 262144K, used 20480K [0x0000000700000000, 0x0000000800000000)
          region size 1024K, 3 young (3072K), 0 survivors (0K)
        123:
         garbage-first heap   total 262144K, used 10240K [0x0000000700000000, 0x0000000800000000)
        """;
    assertEquals(10240L * 1024, ProcessMemory.parseUsedHeap(heapInfo));
    assertEquals(98304L * 1024, ProcessMemory.parseRss("Name:\tjava\nVmPeak:\t 1 kB\nVmRSS:\t   98304 kB\n"));
    assertThrows(IllegalStateException.class, () -> ProcessMemory.parseUsedHeap("nothing"));
  }
}
