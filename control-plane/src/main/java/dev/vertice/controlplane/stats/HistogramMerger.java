package dev.vertice.controlplane.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * {@code HistogramMerger} adds histograms whose bounds may differ into one, whose bounds are the
 * union of theirs. Reporters normally share bounds; when they do not, each count stays at its own
 * upper bound, and the merged bucket's lower edge is the previous bound of the union (a finer
 * lower edge than the reporter measured, the price of merging).
 *
 * <p>At most {@code maxBounds} distinct bounds are kept: a count at a bound beyond that goes to the
 * next larger kept bound (or the overflow bucket), which can only overstate latency. Not
 * thread-safe.
 */
final class HistogramMerger {

  private final TreeMap<Double, Long> buckets = new TreeMap<>();
  private final int maxBounds;
  private long overflow;
  private boolean measured;

  HistogramMerger(int maxBounds) {
    this.maxBounds = maxBounds;
  }

  /** Adds one histogram ({@code counts} has one more entry than {@code bounds}, or both are empty). */
  void add(List<Double> bounds, List<Long> counts) {
    if (counts.isEmpty()) {
      return;
    }
    measured = true;
    for (int i = 0; i < bounds.size(); i++) {
      add(bounds.get(i), counts.get(i));
    }
    overflow += counts.get(bounds.size());
  }

  /** Adds {@code count} requests at upper bound {@code bound}; {@code +Infinity} means the overflow bucket. */
  void add(double bound, long count) {
    measured = true;
    if (Double.isInfinite(bound)) {
      overflow += count;
      return;
    }
    if (buckets.containsKey(bound) || buckets.size() < maxBounds) {
      buckets.merge(bound, count, Long::sum);
      return;
    }
    Double above = buckets.ceilingKey(bound);
    if (above == null) {
      overflow += count;
    } else {
      buckets.merge(above, count, Long::sum);
    }
  }

  LatencyHistogram result() {
    if (!measured) {
      return LatencyHistogram.EMPTY;
    }
    List<Double> bounds = new ArrayList<>(buckets.keySet());
    List<Long> counts = new ArrayList<>(buckets.values());
    counts.add(overflow);
    return new LatencyHistogram(bounds, counts);
  }
}
