package dev.vertice.canary;

/**
 * {@code Thresholds} are the checks a stage must pass.
 *
 * @param maxErrorRate highest acceptable candidate error rate, in (0, 1]
 * @param maxLatencyRatio highest acceptable ratio of candidate p99 to stable p99, in [1, 100]
 * @param minRequests fewest candidate requests in a stage window before it is judged, in [1, 10^9]
 */
public record Thresholds(double maxErrorRate, double maxLatencyRatio, long minRequests) {

  /** Default highest candidate error rate: 5 %. */
  public static final double DEFAULT_MAX_ERROR_RATE = 0.05;
  /** Default highest ratio of candidate p99 to stable p99: 150 %. */
  public static final double DEFAULT_MAX_LATENCY_RATIO = 1.5;
  /** Default fewest candidate requests in a stage: 100. */
  public static final long DEFAULT_MIN_REQUESTS = 100;
  /** Smallest latency ratio accepted: below 1 the candidate would have to be faster than stable. */
  public static final double MIN_LATENCY_RATIO = 1.0;
  /** Largest latency ratio accepted. */
  public static final double MAX_LATENCY_RATIO = 100.0;
  /** Largest request minimum accepted. */
  public static final long MAX_MIN_REQUESTS = 1_000_000_000L;

  /** The defaults: 5 %, 1.5, 100 requests. */
  public static final Thresholds DEFAULTS =
      new Thresholds(DEFAULT_MAX_ERROR_RATE, DEFAULT_MAX_LATENCY_RATIO, DEFAULT_MIN_REQUESTS);

  /** Checks the ranges; {@link RolloutSpec.Draft#validate()} reports them field by field first. */
  public Thresholds {
    if (!(maxErrorRate > 0 && maxErrorRate <= 1)) {
      throw new IllegalArgumentException("maxErrorRate outside (0, 1]: " + maxErrorRate);
    }
    if (!(maxLatencyRatio >= MIN_LATENCY_RATIO && maxLatencyRatio <= MAX_LATENCY_RATIO)) {
      throw new IllegalArgumentException("maxLatencyRatio outside [1, 100]: " + maxLatencyRatio);
    }
    if (minRequests < 1 || minRequests > MAX_MIN_REQUESTS) {
      throw new IllegalArgumentException("minRequests outside [1, " + MAX_MIN_REQUESTS + "]: " + minRequests);
    }
  }
}
