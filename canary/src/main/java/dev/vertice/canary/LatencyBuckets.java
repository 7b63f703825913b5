package dev.vertice.canary;

import java.util.List;

/**
 * {@code LatencyBuckets} is a bucketed latency sample, as the data plane reports it: {@code
 * counts.get(i)} requests took at most {@code boundsSeconds.get(i)} seconds and more than the
 * previous bound (0 for the first); {@code counts.get(boundsSeconds.size())} requests took longer
 * than the last bound.
 *
 * @param boundsSeconds upper bounds in seconds, strictly increasing, finite and positive
 * @param counts {@code boundsSeconds.size() + 1} counts, each {@code >= 0}; both lists empty when no
 *     latency was measured
 */
public record LatencyBuckets(List<Double> boundsSeconds, List<Long> counts) {

  /** No latency measured. */
  public static final LatencyBuckets EMPTY = new LatencyBuckets(List.of(), List.of());

  /** Copies the lists and checks the invariants. */
  public LatencyBuckets {
    boundsSeconds = List.copyOf(boundsSeconds);
    counts = List.copyOf(counts);
    if (!(boundsSeconds.isEmpty() && counts.isEmpty()) && counts.size() != boundsSeconds.size() + 1) {
      throw new IllegalArgumentException("latency buckets of " + boundsSeconds.size() + " bounds need "
          + (boundsSeconds.size() + 1) + " counts, not " + counts.size());
    }
    double previous = 0;
    for (double b : boundsSeconds) {
      if (!(b > previous) || Double.isInfinite(b)) {
        throw new IllegalArgumentException("latency bounds must be finite, positive and strictly increase: "
            + boundsSeconds);
      }
      previous = b;
    }
    for (long c : counts) {
      if (c < 0) {
        throw new IllegalArgumentException("latency counts must be >= 0: " + counts);
      }
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

  /** Returns whether no request was counted. */
  public boolean isEmpty() {
    return total() == 0;
  }

  /**
   * Returns the value that stands for the requests of bucket {@code i} in a rank test: the middle
   * of the bucket, and twice the last bound for the requests above it (nothing is known there but
   * that they are slower than every other bucket).
   */
  double representative(int i) {
    int last = boundsSeconds.size();
    if (i == last) {
      return 2 * boundsSeconds.get(last - 1);
    }
    double lower = i == 0 ? 0 : boundsSeconds.get(i - 1);
    return (lower + boundsSeconds.get(i)) / 2;
  }
}
