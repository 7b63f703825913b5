package dev.vertice.controlplane.store;

import java.util.List;

/**
 * {@code LatencyHistogram} is an immutable latency histogram: {@code counts.get(i)} requests took
 * at most {@code bounds.get(i)} seconds and more than the previous bound (0 for the first);
 * {@code counts.get(bounds.size())} requests took longer than the last bound.
 *
 * @param bounds upper bounds in seconds, strictly increasing, finite and positive
 * @param counts {@code bounds.size() + 1} counts; empty (with empty bounds) when nothing was measured
 */
public record LatencyHistogram(List<Double> bounds, List<Long> counts) {

  /** The histogram of no request. */
  public static final LatencyHistogram EMPTY = new LatencyHistogram(List.of(), List.of());

  public LatencyHistogram {
    bounds = List.copyOf(bounds);
    counts = List.copyOf(counts);
    if (!(bounds.isEmpty() && counts.isEmpty()) && counts.size() != bounds.size() + 1) {
      throw new IllegalArgumentException("a histogram of " + bounds.size() + " bounds needs " + (bounds.size() + 1)
          + " counts, not " + counts.size());
    }
  }

  /** Returns the number of requests counted. */
  public long total() {
    long t = 0;
    for (long c : counts) {
      t += c;
    }
    return t;
  }

  /** Returns the {@code q} quantile in seconds (see {@link Percentiles#quantile}); NaN when empty. */
  public double quantile(double q) {
    return Percentiles.quantile(bounds, counts, q);
  }
}
