package dev.vertice.gateway.resilience;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code ResilienceConfig} holds the thresholds of the breakers, outlier ejection and retries.
 * Immutable and thread-safe; take {@link #ofDefaults()}, or start a builder from the defaults with
 * {@link #custom()} or from another config with {@link #from(ResilienceConfig)}. Every setter
 * rejects a bad value at once with an {@link IllegalArgumentException} reading
 * {@code invalid <setting>: <value>}.
 */
public final class ResilienceConfig {

  /** Instance breaker: failure rate (percent) that opens it: 50. */
  public static final float DEFAULT_INSTANCE_FAILURE_RATE = 50f;
  /** Instance breaker: calls in its sliding window: 20. */
  public static final int DEFAULT_INSTANCE_WINDOW = 20;
  /** Instance breaker: calls before it may open: 10. */
  public static final int DEFAULT_INSTANCE_MIN_CALLS = 10;
  /** Service breaker: failure rate (percent) that opens it: 80. */
  public static final float DEFAULT_SERVICE_FAILURE_RATE = 80f;
  /** Service breaker: calls in its sliding window: 100. */
  public static final int DEFAULT_SERVICE_WINDOW = 100;
  /** Service breaker: calls before it may open: 50. */
  public static final int DEFAULT_SERVICE_MIN_CALLS = 50;
  /** How long an open breaker refuses calls: 10 s. */
  public static final Duration DEFAULT_OPEN_WAIT = Duration.ofSeconds(10);
  /** Probe calls a half-open breaker lets through: 3. */
  public static final int DEFAULT_HALF_OPEN_CALLS = 3;
  /** Failures in a row that eject an instance: 5. */
  public static final int DEFAULT_OUTLIER_CONSECUTIVE_FAILURES = 5;
  /** How long the first ejection lasts: 10 s. */
  public static final Duration DEFAULT_BASE_EJECTION = Duration.ofSeconds(10);
  /** The longest ejection: 5 min. */
  public static final Duration DEFAULT_MAX_EJECTION = Duration.ofMinutes(5);
  /** Retries allowed per request: 0.2 (20 %). */
  public static final double DEFAULT_RETRY_BUDGET_RATIO = 0.2;
  /** Retries allowed per second whatever the traffic: 10. */
  public static final double DEFAULT_MIN_RETRIES_PER_SECOND = 10;
  /** Attempts per request, the first included: 3. */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

  private static final ResilienceConfig DEFAULTS = custom().build();

  private final float instanceFailureRate;
  private final int instanceWindow;
  private final int instanceMinCalls;
  private final float serviceFailureRate;
  private final int serviceWindow;
  private final int serviceMinCalls;
  private final Duration openWait;
  private final int halfOpenCalls;
  private final int outlierConsecutiveFailures;
  private final Duration baseEjection;
  private final Duration maxEjection;
  private final double retryBudgetRatio;
  private final double minRetriesPerSecond;
  private final int maxAttempts;

  private ResilienceConfig(Builder b) {
    this.instanceFailureRate = b.instanceFailureRate;
    this.instanceWindow = b.instanceWindow;
    this.instanceMinCalls = b.instanceMinCalls;
    this.serviceFailureRate = b.serviceFailureRate;
    this.serviceWindow = b.serviceWindow;
    this.serviceMinCalls = b.serviceMinCalls;
    this.openWait = b.openWait;
    this.halfOpenCalls = b.halfOpenCalls;
    this.outlierConsecutiveFailures = b.outlierConsecutiveFailures;
    this.baseEjection = b.baseEjection;
    this.maxEjection = b.maxEjection;
    this.retryBudgetRatio = b.retryBudgetRatio;
    this.minRetriesPerSecond = b.minRetriesPerSecond;
    this.maxAttempts = b.maxAttempts;
  }

  /** {@code ofDefaults} returns the defaults: instance breaker 50 % of 20 calls (10 at least), service
   * breaker 80 % of 100 (50 at least), 10 s open, 3 probes; ejection after 5 failures in a row for
   * 10 s (at most 5 min); retry budget 20 % plus 10/s, 3 attempts. */
  public static ResilienceConfig ofDefaults() {
    return DEFAULTS;
  }

  /** {@code custom} returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** {@code from} returns a builder starting from {@code base}. */
  public static Builder from(ResilienceConfig base) {
    return new Builder(Objects.requireNonNull(base, "base"));
  }

  /** {@code instanceFailureRate} is the failure rate (percent) that opens an instance's breaker. */
  public float instanceFailureRate() {
    return instanceFailureRate;
  }

  /** {@code instanceWindow} is the number of calls in an instance breaker's sliding window. */
  public int instanceWindow() {
    return instanceWindow;
  }

  /** {@code instanceMinCalls} is the number of calls before an instance breaker may open. */
  public int instanceMinCalls() {
    return instanceMinCalls;
  }

  /** {@code serviceFailureRate} is the failure rate (percent) that opens a service's breaker. */
  public float serviceFailureRate() {
    return serviceFailureRate;
  }

  /** {@code serviceWindow} is the number of calls in a service breaker's sliding window. */
  public int serviceWindow() {
    return serviceWindow;
  }

  /** {@code serviceMinCalls} is the number of calls before a service breaker may open. */
  public int serviceMinCalls() {
    return serviceMinCalls;
  }

  /** {@code openWait} is how long an open breaker refuses calls before letting probes through. */
  public Duration openWait() {
    return openWait;
  }

  /** {@code halfOpenCalls} is the number of probe calls a half-open breaker lets through. */
  public int halfOpenCalls() {
    return halfOpenCalls;
  }

  /** {@code outlierConsecutiveFailures} is the number of failures in a row that eject an instance. */
  public int outlierConsecutiveFailures() {
    return outlierConsecutiveFailures;
  }

  /** {@code baseEjection} is how long the first ejection lasts (later ones last longer). */
  public Duration baseEjection() {
    return baseEjection;
  }

  /** {@code maxEjection} is the longest ejection. */
  public Duration maxEjection() {
    return maxEjection;
  }

  /** {@code retryBudgetRatio} is the retries allowed per request. */
  public double retryBudgetRatio() {
    return retryBudgetRatio;
  }

  /** {@code minRetriesPerSecond} is the retries allowed per second whatever the traffic. */
  public double minRetriesPerSecond() {
    return minRetriesPerSecond;
  }

  /** {@code maxAttempts} is the number of attempts per request, the first included. */
  public int maxAttempts() {
    return maxAttempts;
  }

  private static void check(boolean ok, String name, Object value) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + name + ": " + value);
    }
  }

  /** {@code Builder} builds a {@link ResilienceConfig}; every setter checks its values at once. */
  public static final class Builder {
    private float instanceFailureRate = DEFAULT_INSTANCE_FAILURE_RATE;
    private int instanceWindow = DEFAULT_INSTANCE_WINDOW;
    private int instanceMinCalls = DEFAULT_INSTANCE_MIN_CALLS;
    private float serviceFailureRate = DEFAULT_SERVICE_FAILURE_RATE;
    private int serviceWindow = DEFAULT_SERVICE_WINDOW;
    private int serviceMinCalls = DEFAULT_SERVICE_MIN_CALLS;
    private Duration openWait = DEFAULT_OPEN_WAIT;
    private int halfOpenCalls = DEFAULT_HALF_OPEN_CALLS;
    private int outlierConsecutiveFailures = DEFAULT_OUTLIER_CONSECUTIVE_FAILURES;
    private Duration baseEjection = DEFAULT_BASE_EJECTION;
    private Duration maxEjection = DEFAULT_MAX_EJECTION;
    private double retryBudgetRatio = DEFAULT_RETRY_BUDGET_RATIO;
    private double minRetriesPerSecond = DEFAULT_MIN_RETRIES_PER_SECOND;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;

    private Builder() {}

    private Builder(ResilienceConfig c) {
      instanceFailureRate = c.instanceFailureRate;
      instanceWindow = c.instanceWindow;
      instanceMinCalls = c.instanceMinCalls;
      serviceFailureRate = c.serviceFailureRate;
      serviceWindow = c.serviceWindow;
      serviceMinCalls = c.serviceMinCalls;
      openWait = c.openWait;
      halfOpenCalls = c.halfOpenCalls;
      outlierConsecutiveFailures = c.outlierConsecutiveFailures;
      baseEjection = c.baseEjection;
      maxEjection = c.maxEjection;
      retryBudgetRatio = c.retryBudgetRatio;
      minRetriesPerSecond = c.minRetriesPerSecond;
      maxAttempts = c.maxAttempts;
    }

    /**
     * {@code instanceBreaker} sets the instance breaker's failure rate (percent, over 0, at most 100),
     * window and minimum calls (each at least 1).
     */
    public Builder instanceBreaker(float failureRate, int window, int minCalls) {
      check(failureRate > 0 && failureRate <= 100, "instanceFailureRate", failureRate);
      check(window >= 1, "instanceWindow", window);
      check(minCalls >= 1, "instanceMinCalls", minCalls);
      this.instanceFailureRate = failureRate;
      this.instanceWindow = window;
      this.instanceMinCalls = minCalls;
      return this;
    }

    /**
     * {@code serviceBreaker} sets the service breaker's failure rate (percent, over 0, at most 100),
     * window and minimum calls (each at least 1).
     */
    public Builder serviceBreaker(float failureRate, int window, int minCalls) {
      check(failureRate > 0 && failureRate <= 100, "serviceFailureRate", failureRate);
      check(window >= 1, "serviceWindow", window);
      check(minCalls >= 1, "serviceMinCalls", minCalls);
      this.serviceFailureRate = failureRate;
      this.serviceWindow = window;
      this.serviceMinCalls = minCalls;
      return this;
    }

    /** {@code openWait} sets how long open breakers refuse calls (positive). */
    public Builder openWait(Duration v) {
      Objects.requireNonNull(v, "openWait");
      check(!v.isNegative() && !v.isZero(), "openWait", v);
      this.openWait = v;
      return this;
    }

    /** {@code halfOpenCalls} sets the probes a half-open breaker lets through (at least 1). */
    public Builder halfOpenCalls(int v) {
      check(v >= 1, "halfOpenCalls", v);
      this.halfOpenCalls = v;
      return this;
    }

    /**
     * {@code outlier} sets the failures in a row that eject (at least 1), and the base (positive) and
     * longest ejection (at least the base).
     */
    public Builder outlier(int consecutiveFailures, Duration base, Duration max) {
      check(consecutiveFailures >= 1, "outlierConsecutiveFailures", consecutiveFailures);
      check(!base.isNegative() && !base.isZero(), "baseEjection", base);
      check(max.compareTo(base) >= 0, "maxEjection", max);
      this.outlierConsecutiveFailures = consecutiveFailures;
      this.baseEjection = base;
      this.maxEjection = max;
      return this;
    }

    /**
     * {@code retries} sets the retry budget (ratio 0..1, minimum per second 0 or more) and the
     * attempts per request (1..10).
     */
    public Builder retries(double ratio, double minPerSecond, int maxAttempts) {
      check(ratio >= 0 && ratio <= 1, "retryBudgetRatio", ratio);
      check(minPerSecond >= 0, "minRetriesPerSecond", minPerSecond);
      check(maxAttempts >= 1 && maxAttempts <= 10, "maxAttempts", maxAttempts);
      this.retryBudgetRatio = ratio;
      this.minRetriesPerSecond = minPerSecond;
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** {@code build} returns the config (every value was checked when set). */
    public ResilienceConfig build() {
      return new ResilienceConfig(this);
    }
  }
}
