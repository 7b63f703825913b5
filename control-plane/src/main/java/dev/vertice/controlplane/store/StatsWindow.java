package dev.vertice.controlplane.store;

/**
 * {@code StatsWindow} is what the data plane reported for one version of one service over a time
 * window: the sums of every report received in it.
 *
 * @param service canonical service name
 * @param version version label
 * @param fromMillis window start, epoch milliseconds (inclusive, rounded down to the second)
 * @param toMillis window end, epoch milliseconds (exclusive, rounded up to the second)
 * @param requests requests that finished in the window
 * @param errors of those, failures
 * @param latency the merged latency histogram of those requests
 */
public record StatsWindow(String service, String version, long fromMillis, long toMillis, long requests,
    long errors, LatencyHistogram latency) {

  /** Returns {@code errors / requests}, or 0 when there was no request. */
  public double errorRate() {
    return requests == 0 ? 0 : (double) errors / requests;
  }

  /** Returns the 99th percentile latency in seconds estimated from {@link #latency}; NaN when none was measured. */
  public double p99Seconds() {
    return latency.quantile(0.99);
  }
}
