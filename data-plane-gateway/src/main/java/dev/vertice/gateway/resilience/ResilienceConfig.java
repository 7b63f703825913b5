package dev.vertice.gateway.resilience;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code ResilienceConfig} holds the thresholds of the breakers, outlier ejection and retries.
 * Immutable; build with {@link #custom()}, or take {@link #ofDefaults()}.
 *
 * @param instanceFailureRate failure rate (percent) that opens an instance's breaker
 * @param instanceWindow calls in an instance breaker's sliding window
 * @param instanceMinCalls calls before an instance breaker may open
 * @param serviceFailureRate failure rate (percent) that opens a service's breaker
 * @param serviceWindow calls in a service breaker's sliding window
 * @param serviceMinCalls calls before a service breaker may open
 * @param openWait how long an open breaker refuses calls before letting probes through
 * @param halfOpenCalls probe calls let through by a half-open breaker
 * @param outlierConsecutiveFailures failures in a row that eject an instance
 * @param baseEjection how long the first ejection lasts (later ones last longer)
 * @param maxEjection the longest ejection
 * @param retryBudgetRatio retries allowed per request
 * @param minRetriesPerSecond retries allowed per second whatever the traffic
 * @param maxAttempts attempts per request, the first included
 */
public record ResilienceConfig(
    float instanceFailureRate, int instanceWindow, int instanceMinCalls,
    float serviceFailureRate, int serviceWindow, int serviceMinCalls,
    Duration openWait, int halfOpenCalls,
    int outlierConsecutiveFailures, Duration baseEjection, Duration maxEjection,
    double retryBudgetRatio, double minRetriesPerSecond, int maxAttempts) {

  /** {@code ResilienceConfig} validates every threshold, quoting the rejected value. */
  public ResilienceConfig {
    check(instanceFailureRate > 0 && instanceFailureRate <= 100, "instanceFailureRate", instanceFailureRate);
    check(serviceFailureRate > 0 && serviceFailureRate <= 100, "serviceFailureRate", serviceFailureRate);
    check(instanceWindow >= 1, "instanceWindow", instanceWindow);
    check(serviceWindow >= 1, "serviceWindow", serviceWindow);
    check(instanceMinCalls >= 1, "instanceMinCalls", instanceMinCalls);
    check(serviceMinCalls >= 1, "serviceMinCalls", serviceMinCalls);
    Objects.requireNonNull(openWait, "openWait");
    check(!openWait.isNegative() && !openWait.isZero(), "openWait", openWait);
    check(halfOpenCalls >= 1, "halfOpenCalls", halfOpenCalls);
    check(outlierConsecutiveFailures >= 1, "outlierConsecutiveFailures", outlierConsecutiveFailures);
    check(!baseEjection.isNegative() && !baseEjection.isZero(), "baseEjection", baseEjection);
    check(maxEjection.compareTo(baseEjection) >= 0, "maxEjection", maxEjection);
    check(retryBudgetRatio >= 0 && retryBudgetRatio <= 1, "retryBudgetRatio", retryBudgetRatio);
    check(minRetriesPerSecond >= 0, "minRetriesPerSecond", minRetriesPerSecond);
    check(maxAttempts >= 1 && maxAttempts <= 10, "maxAttempts", maxAttempts);
  }

  private static final ResilienceConfig DEFAULTS = new ResilienceConfig(
      50, 20, 10, 80, 100, 50, Duration.ofSeconds(10), 3, 5, Duration.ofSeconds(10), Duration.ofMinutes(5),
      0.2, 10, 3);

  /** {@code ofDefaults} returns the defaults: instance breaker 50 % of 20 calls (10 at least), service
   * breaker 80 % of 100 (50 at least), 10 s open, 3 probes; ejection after 5 failures in a row for
   * 10 s (at most 5 min); retry budget 20 % plus 10/s, 3 attempts. */
  public static ResilienceConfig ofDefaults() {
    return DEFAULTS;
  }

  /** {@code custom} returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder(DEFAULTS);
  }

  private static void check(boolean ok, String name, Object value) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + name + ": " + value);
    }
  }

  /** {@code Builder} builds a {@link ResilienceConfig}; the record's constructor validates. */
  public static final class Builder {
    private float instanceFailureRate;
    private int instanceWindow;
    private int instanceMinCalls;
    private float serviceFailureRate;
    private int serviceWindow;
    private int serviceMinCalls;
    private Duration openWait;
    private int halfOpenCalls;
    private int outlierConsecutiveFailures;
    private Duration baseEjection;
    private Duration maxEjection;
    private double retryBudgetRatio;
    private double minRetriesPerSecond;
    private int maxAttempts;

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

    /** {@code instanceBreaker} sets the instance breaker's failure rate (percent), window and minimum calls. */
    public Builder instanceBreaker(float failureRate, int window, int minCalls) {
      this.instanceFailureRate = failureRate;
      this.instanceWindow = window;
      this.instanceMinCalls = minCalls;
      return this;
    }

    /** {@code serviceBreaker} sets the service breaker's failure rate (percent), window and minimum calls. */
    public Builder serviceBreaker(float failureRate, int window, int minCalls) {
      this.serviceFailureRate = failureRate;
      this.serviceWindow = window;
      this.serviceMinCalls = minCalls;
      return this;
    }

    /** {@code openWait} sets how long open breakers refuse calls. */
    public Builder openWait(Duration v) {
      this.openWait = v;
      return this;
    }

    /** {@code halfOpenCalls} sets the probes a half-open breaker lets through. */
    public Builder halfOpenCalls(int v) {
      this.halfOpenCalls = v;
      return this;
    }

    /** {@code outlier} sets the failures in a row that eject, and the base and longest ejection. */
    public Builder outlier(int consecutiveFailures, Duration base, Duration max) {
      this.outlierConsecutiveFailures = consecutiveFailures;
      this.baseEjection = base;
      this.maxEjection = max;
      return this;
    }

    /** {@code retries} sets the retry budget (ratio, minimum per second) and the attempts per request. */
    public Builder retries(double ratio, double minPerSecond, int maxAttempts) {
      this.retryBudgetRatio = ratio;
      this.minRetriesPerSecond = minPerSecond;
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * {@code build} returns the config.
     *
     * @throws IllegalArgumentException naming the first invalid setting and its value
     */
    public ResilienceConfig build() {
      return new ResilienceConfig(instanceFailureRate, instanceWindow, instanceMinCalls, serviceFailureRate,
          serviceWindow, serviceMinCalls, openWait, halfOpenCalls, outlierConsecutiveFailures, baseEjection,
          maxEjection, retryBudgetRatio, minRetriesPerSecond, maxAttempts);
    }
  }
}
