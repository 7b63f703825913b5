package dev.vertice.bench;

import java.util.Arrays;

/**
 * {@code Latencies} is a sorted sample of latencies in nanoseconds and the figures a bench reports
 * from it: nearest-rank quantiles, p99.9 only when the sample has at least 1,000 values (below that
 * it would be the maximum under another name), and the maximum.
 */
final class Latencies {

  /** The smallest sample whose p99.9 is reported. */
  static final int MIN_SAMPLE_FOR_P999 = 1000;

  private final long[] sorted;

  private Latencies(long[] sorted) {
    this.sorted = sorted;
  }

  /** Returns the figures of {@code nanos} (copied, then sorted). */
  static Latencies of(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return new Latencies(s);
  }

  int count() {
    return sorted.length;
  }

  /** Returns the value at quantile {@code q} (0..1), nearest rank, in nanoseconds; 0 when empty. */
  long quantile(double q) {
    return Report.quantile(sorted, q);
  }

  /** Returns quantile {@code q} in milliseconds, or null when the sample is empty. */
  Double millis(double q) {
    return sorted.length == 0 ? null : Report.millis(quantile(q));
  }

  /** Returns p99.9 in milliseconds, or null when the sample is too small to tell it from the maximum. */
  Double p999Millis() {
    return sorted.length < MIN_SAMPLE_FOR_P999 ? null : millis(0.999);
  }

  /** Returns the maximum in milliseconds, or null when the sample is empty. */
  Double maxMillis() {
    return sorted.length == 0 ? null : Report.millis(sorted[sorted.length - 1]);
  }

  /** Returns {@code a / b} rounded to two decimals, or null when either is missing or {@code b} is 0. */
  static Double ratio(Double a, Double b) {
    if (a == null || b == null || b == 0) {
      return null;
    }
    return Math.round(a / b * 100) / 100.0;
  }
}
