package dev.vertice.canary;

import java.util.Locale;
import java.util.Objects;

/**
 * {@code WindowStats} summarises one version's requests over an analysis window, as the data plane
 * reported them.
 *
 * @param requests requests that finished in the window, {@code >= 0}
 * @param errors failed requests among them, {@code 0..requests}
 * @param p99Seconds 99th percentile latency in seconds, {@code >= 0}; 0 without requests
 * @param latency the latency histogram the p99 was estimated from, for the U test; empty when
 *     unknown (no latency measured, or stats recorded before histograms were kept)
 */
public record WindowStats(long requests, long errors, double p99Seconds, LatencyBuckets latency) {

  /** No requests. */
  public static final WindowStats EMPTY = new WindowStats(0, 0, 0);

  /** Checks the invariants. */
  public WindowStats {
    Objects.requireNonNull(latency, "latency");
    if (requests < 0 || errors < 0 || errors > requests) {
      throw new IllegalArgumentException("need 0 <= errors <= requests: " + errors + " errors, " + requests
          + " requests");
    }
    if (!(p99Seconds >= 0) || Double.isInfinite(p99Seconds)) {
      throw new IllegalArgumentException("p99 must be a finite number >= 0: " + p99Seconds);
    }
  }

  /** Stats without a latency histogram: the U test is not run on them. */
  public WindowStats(long requests, long errors, double p99Seconds) {
    this(requests, errors, p99Seconds, LatencyBuckets.EMPTY);
  }

  /** Returns errors / requests, or 0 without requests. */
  public double errorRate() {
    return requests == 0 ? 0 : (double) errors / requests;
  }

  /** Returns the window in words, for example {@code "120 requests, 3 errors (2.50 %), p99 41.0 ms"}. */
  public String describe() {
    if (requests == 0) {
      return "no requests";
    }
    return requests + " requests, " + errors + " errors (" + percent(errorRate()) + "), p99 " + millis(p99Seconds);
  }

  static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.2f %%", fraction * 100);
  }

  static String millis(double seconds) {
    return String.format(Locale.ROOT, "%.1f ms", seconds * 1000);
  }
}
