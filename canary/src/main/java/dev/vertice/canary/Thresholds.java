package dev.vertice.canary;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code Thresholds} are the checks a stage must pass.
 *
 * <p>The latency check fails only when both hold: the candidate's p99 exceeds {@code
 * maxLatencyRatio} times the stable p99 plus {@code latencyMargin}, and a one-sided Mann-Whitney U
 * test of the two latency samples, the stable one multiplied by {@code maxLatencyRatio}, finds the
 * candidate slower with a p-value below {@code latencySignificance} (see {@link Analysis}).
 *
 * @param maxErrorRate highest acceptable candidate error rate, in (0, 1]
 * @param maxLatencyRatio highest acceptable ratio of candidate p99 to stable p99, in [1, 100]; also
 *     the effect size of the U test
 * @param minRequests fewest requests of each version in a stage window before the candidate is
 *     judged (and before the stable window is the latency reference), in [1, 10^9]
 * @param latencyMargin how far above {@code maxLatencyRatio} times the stable p99 the candidate's
 *     p99 may be, in [0, 60 s]: it absorbs the coarseness of the latency buckets at low latencies
 * @param latencySignificance the U test's significance level, in (0, 0.5]
 */
public record Thresholds(double maxErrorRate, double maxLatencyRatio, long minRequests, Duration latencyMargin,
    double latencySignificance) {

  /** Default highest candidate error rate: 5 %. */
  public static final double DEFAULT_MAX_ERROR_RATE = 0.05;
  /** Default highest ratio of candidate p99 to stable p99: 150 %. */
  public static final double DEFAULT_MAX_LATENCY_RATIO = 1.5;
  /** Default fewest requests per version in a stage: 100, the seed's. */
  public static final long DEFAULT_MIN_REQUESTS = 100;
  /** Default latency margin: 5 ms. */
  public static final Duration DEFAULT_LATENCY_MARGIN = Duration.ofMillis(5);
  /** Default significance level of the U test: 0.01 (Kayenta's 98 % two-sided confidence, one side). */
  public static final double DEFAULT_LATENCY_SIGNIFICANCE = 0.01;
  /** Smallest latency ratio accepted: below 1 the candidate would have to be faster than stable. */
  public static final double MIN_LATENCY_RATIO = 1.0;
  /** Largest latency ratio accepted. */
  public static final double MAX_LATENCY_RATIO = 100.0;
  /** Largest request minimum accepted. */
  public static final long MAX_MIN_REQUESTS = 1_000_000_000L;
  /** Largest latency margin accepted. */
  public static final Duration MAX_LATENCY_MARGIN = Duration.ofMinutes(1);
  /** Largest significance level accepted: above it the test would call a coin toss significant. */
  public static final double MAX_LATENCY_SIGNIFICANCE = 0.5;

  /** The defaults: 5 %, 1.5, 100 requests, 5 ms, 0.01. */
  public static final Thresholds DEFAULTS = new Thresholds(DEFAULT_MAX_ERROR_RATE, DEFAULT_MAX_LATENCY_RATIO,
      DEFAULT_MIN_REQUESTS, DEFAULT_LATENCY_MARGIN, DEFAULT_LATENCY_SIGNIFICANCE);

  /** Checks the ranges; {@link RolloutSpec.Draft#validate()} reports them field by field first. */
  public Thresholds {
    Objects.requireNonNull(latencyMargin, "latencyMargin");
    if (!(maxErrorRate > 0 && maxErrorRate <= 1)) {
      throw new IllegalArgumentException("maxErrorRate outside (0, 1]: " + maxErrorRate);
    }
    if (!(maxLatencyRatio >= MIN_LATENCY_RATIO && maxLatencyRatio <= MAX_LATENCY_RATIO)) {
      throw new IllegalArgumentException("maxLatencyRatio outside [1, 100]: " + maxLatencyRatio);
    }
    if (minRequests < 1 || minRequests > MAX_MIN_REQUESTS) {
      throw new IllegalArgumentException("minRequests outside [1, " + MAX_MIN_REQUESTS + "]: " + minRequests);
    }
    if (latencyMargin.isNegative() || latencyMargin.compareTo(MAX_LATENCY_MARGIN) > 0) {
      throw new IllegalArgumentException("latencyMargin outside [0, 60s]: " + latencyMargin);
    }
    if (!(latencySignificance > 0 && latencySignificance <= MAX_LATENCY_SIGNIFICANCE)) {
      throw new IllegalArgumentException("latencySignificance outside (0, 0.5]: " + latencySignificance);
    }
  }

  /** The three first checks with the default latency margin and significance. */
  public Thresholds(double maxErrorRate, double maxLatencyRatio, long minRequests) {
    this(maxErrorRate, maxLatencyRatio, minRequests, DEFAULT_LATENCY_MARGIN, DEFAULT_LATENCY_SIGNIFICANCE);
  }

  /** Returns the latency margin in seconds. */
  public double latencyMarginSeconds() {
    return latencyMargin.toNanos() / 1e9;
  }
}
