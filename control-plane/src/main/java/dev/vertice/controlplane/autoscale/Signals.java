package dev.vertice.controlplane.autoscale;

/**
 * {@code Signals} is the load of one service (or one version of it) as the gateways last reported
 * it: each reporter's latest interval that is still fresh, summed.
 *
 * @param requestsPerSecond requests that finished per second
 * @param inFlight requests in flight at the end of the reporters' intervals
 * @param p99Millis 99th percentile latency in milliseconds; 0 when no request finished
 * @param errorRate failed requests / requests, 0 when no request finished
 * @param requests requests that finished in the reporters' last intervals
 * @param reporters fresh reporters that saw the service
 */
public record Signals(double requestsPerSecond, long inFlight, double p99Millis, double errorRate, long requests,
    int reporters) {

  /** No traffic. */
  public static final Signals IDLE = new Signals(0, 0, 0, 0, 0, 0);

  /** Returns whether there is traffic: a request finished in the last intervals, or one is in flight. */
  public boolean active() {
    return requests > 0 || inFlight > 0;
  }

  /** Returns the value of {@code metric}. */
  public double value(Metric metric) {
    return switch (metric) {
      case RPS -> requestsPerSecond;
      case INFLIGHT -> inFlight;
      case P99_MS -> p99Millis;
      case ERROR_RATE -> errorRate;
    };
  }
}
