package dev.vertice.controlplane.store.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.store.LatencyHistogram;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StatsWindow;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryStatsStoreTest {

  static VersionStats stats(String service, String version, long requests, long errors, List<Double> bounds,
      List<Long> counts) {
    return VersionStats.newBuilder().setService(service).setVersion(version).setRequests(requests)
        .setErrors(errors).addAllLatencyBoundsSeconds(bounds).addAllLatencyCounts(counts).build();
  }

  @Test
  void aWindowSumsTheSecondsItOverlapsAndMergesLatency() {
    InMemoryStatsStore store = new InMemoryStatsStore(Duration.ofSeconds(60), 8);
    store.add(1000, List.of(stats("shop", "v2", 10, 1, List.of(0.1, 0.2), List.of(8L, 1L, 1L))));
    store.add(1001, List.of(stats("shop", "v2", 20, 2, List.of(0.1, 0.2), List.of(10L, 10L, 0L)),
        stats("shop", "v1", 5, 0, List.of(), List.of())));
    store.add(1002, List.of(stats("shop", "v2", 100, 50, List.of(0.1, 0.2), List.of(100L, 0L, 0L))));

    StatsWindow w = store.window("shop", "v2", 1_000_500, 1_002_000);
    assertEquals(1_000_000, w.fromMillis());
    assertEquals(1_002_000, w.toMillis());
    assertEquals(30, w.requests());
    assertEquals(3, w.errors());
    assertEquals(0.1, w.errorRate(), 1e-12);
    assertEquals(new LatencyHistogram(List.of(0.1, 0.2), List.of(18L, 11L, 1L)), w.latency());
    assertEquals(0.2, w.p99Seconds(), 1e-12);

    StatsWindow v1 = store.window("shop", "v1", 1_000_000, 1_003_000);
    assertEquals(5, v1.requests());
    assertEquals(LatencyHistogram.EMPTY, v1.latency());
    assertEquals(0, store.window("other", "v1", 0, 5_000_000).requests());
    assertThrows(IllegalArgumentException.class, () -> store.window("shop", "v2", 5, 5));
  }

  @Test
  void secondsOlderThanTheRetentionAreForgotten() {
    InMemoryStatsStore store = new InMemoryStatsStore(Duration.ofSeconds(10), 8);
    store.add(100, List.of(stats("shop", "v2", 7, 0, List.of(), List.of())));
    store.add(110, List.of(stats("shop", "v2", 3, 0, List.of(), List.of()))); // same ring slot as 100
    assertEquals(0, store.window("shop", "v2", 100_000, 101_000).requests());
    assertEquals(3, store.window("shop", "v2", 0, 111_000).requests(), "a longer window covers its last 10 s");
    assertEquals(0, store.window("shop", "v2", 0, 200_000).requests(), "seconds 190-199: nothing");
  }

  @Test
  void aNewBoundSplitsNothingAlreadyCounted() {
    InMemoryStatsStore store = new InMemoryStatsStore(Duration.ofSeconds(60), 8);
    store.add(1, List.of(stats("shop", "v2", 4, 0, List.of(0.1, 0.4), List.of(1L, 2L, 1L))));
    store.add(2, List.of(stats("shop", "v2", 4, 0, List.of(0.2), List.of(3L, 1L))));
    assertEquals(new LatencyHistogram(List.of(0.1, 0.2, 0.4), List.of(1L, 3L, 2L, 2L)),
        store.window("shop", "v2", 0, 3_000).latency());
  }

  @Test
  void seriesAreBoundedAndSilentOnesMakeRoom() {
    InMemoryStatsStore store = new InMemoryStatsStore(Duration.ofSeconds(10), 2);
    store.add(100, List.of(stats("a", "v1", 1, 0, List.of(), List.of()), stats("b", "v1", 1, 0, List.of(),
        List.of()), stats("c", "v1", 1, 0, List.of(), List.of())));
    assertEquals(2, store.seriesCount());
    assertEquals(1, store.droppedStats());
    assertEquals(0, store.window("c", "v1", 0, 101_000).requests());
    store.add(111, List.of(stats("c", "v1", 4, 0, List.of(), List.of())));
    assertEquals(4, store.window("c", "v1", 0, 112_000).requests(), "a and b were silent for the retention");
    assertEquals(1, store.seriesCount());
  }

  @Test
  void boundsBeyondTheLimitCountAtTheNextKeptBound() {
    InMemoryStatsStore store = new InMemoryStatsStore(Duration.ofSeconds(60), 8);
    List<Double> bounds = new java.util.ArrayList<>();
    List<Long> counts = new java.util.ArrayList<>();
    for (int i = 1; i <= StatsStore.MAX_MERGED_BOUNDS; i++) {
      bounds.add(i * 0.01);
      counts.add(0L);
    }
    counts.add(0L);
    store.add(1, List.of(stats("shop", "v2", 0, 0, bounds, counts)));
    // 0.015 is a 65th bound: its requests count at 0.02; 0.9 is above every kept bound: overflow.
    store.add(2, List.of(stats("shop", "v2", 10, 0, List.of(0.015, 0.9), List.of(3L, 5L, 2L))));
    LatencyHistogram h = store.window("shop", "v2", 0, 3_000).latency();
    assertEquals(bounds, h.bounds());
    assertEquals(3, h.counts().get(1));
    assertEquals(7, h.counts().get(StatsStore.MAX_MERGED_BOUNDS));
    assertEquals(10, h.total());
  }
}
