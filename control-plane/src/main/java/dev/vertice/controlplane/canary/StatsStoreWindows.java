package dev.vertice.controlplane.canary;

import dev.vertice.canary.LatencyBuckets;
import dev.vertice.canary.WindowStats;
import dev.vertice.controlplane.store.LatencyHistogram;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StatsWindow;
import dev.vertice.controlplane.store.StoreUnavailableException;
import java.time.Instant;

/**
 * {@code StatsStoreWindows} reads stage windows from the control plane's {@link StatsStore}, which
 * the data plane fills through StatsService. Windows are whole seconds of the store's buckets.
 */
public final class StatsStoreWindows implements StatsWindows {

  private final StatsStore store;

  /** Creates the reader over {@code store}. */
  public StatsStoreWindows(StatsStore store) {
    this.store = store;
  }

  @Override
  public WindowStats window(String service, String version, Instant from, Instant to) {
    long fromMillis = from.toEpochMilli();
    long toMillis = to.toEpochMilli();
    if (toMillis <= fromMillis) {
      return WindowStats.EMPTY;
    }
    StatsWindow w;
    try {
      w = store.window(service, version, fromMillis, toMillis);
    } catch (StoreUnavailableException e) {
      throw new IllegalStateException("the stats store is unavailable: " + e.getMessage(), e);
    }
    double p99 = w.requests() == 0 ? 0 : w.p99Seconds();
    // Reporters that measure no latency send no histogram: the p99 is unknown, not infinite.
    return new WindowStats(w.requests(), Math.min(w.errors(), w.requests()),
        Double.isFinite(p99) && p99 >= 0 ? p99 : 0, buckets(w.latency()));
  }

  /** The histogram for the latency U test; empty (no test) when there is none or it is malformed. */
  static LatencyBuckets buckets(LatencyHistogram h) {
    try {
      return new LatencyBuckets(h.bounds(), h.counts());
    } catch (IllegalArgumentException e) {
      return LatencyBuckets.EMPTY;
    }
  }
}
