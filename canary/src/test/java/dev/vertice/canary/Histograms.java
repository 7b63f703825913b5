package dev.vertice.canary;

import java.util.ArrayList;
import java.util.List;

/** Builds latency windows over the gateways' default bucket bounds, for the tests. */
final class Histograms {

  /** The bounds the data plane's StatsReporter uses by default, in seconds. */
  static final List<Double> BOUNDS = List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
      2.5, 5.0, 10.0);

  private Histograms() {}

  /** Returns buckets over {@link #BOUNDS}; {@code counts} start at the first bucket, the rest are 0. */
  static LatencyBuckets buckets(long... counts) {
    List<Long> all = new ArrayList<>();
    for (int i = 0; i <= BOUNDS.size(); i++) {
      all.add(i < counts.length ? counts[i] : 0L);
    }
    return new LatencyBuckets(BOUNDS, all);
  }

  /** Returns a window of these buckets with {@code errors} errors, its p99 interpolated as the control plane does. */
  static WindowStats window(long errors, long... counts) {
    LatencyBuckets b = buckets(counts);
    return new WindowStats(b.total(), errors, quantile(b, 0.99), b);
  }

  /** The control plane's estimate (Prometheus's histogram_quantile): linear inside the bucket. */
  static double quantile(LatencyBuckets b, double q) {
    long total = b.total();
    if (total == 0) {
      return 0;
    }
    double rank = q * total;
    long before = 0;
    for (int i = 0; i < b.boundsSeconds().size(); i++) {
      long c = b.counts().get(i);
      if (c > 0 && before + c >= rank) {
        double lower = i == 0 ? 0 : b.boundsSeconds().get(i - 1);
        return lower + (b.boundsSeconds().get(i) - lower) * (rank - before) / c;
      }
      before += c;
    }
    return b.boundsSeconds().get(b.boundsSeconds().size() - 1);
  }
}
