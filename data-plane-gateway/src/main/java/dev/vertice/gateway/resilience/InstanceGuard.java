package dev.vertice.gateway.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * {@code InstanceGuard} is the resilience state of one upstream instance: its circuit breaker and
 * its outlier detector. A request first {@link #tryAcquire() acquires} (not ejected, breaker
 * permits) and then reports exactly one outcome: {@link #onSuccess}, {@link #onFailure} or {@link
 * #release} (the attempt was abandoned without an outcome). Thread-safe.
 */
public final class InstanceGuard {

  private final Breaker breaker;
  private final OutlierDetector outlier;

  InstanceGuard(Breaker breaker, OutlierDetector outlier) {
    this.breaker = breaker;
    this.outlier = outlier;
  }

  /** {@code tryAcquire} returns whether the instance may take a request now (not ejected, breaker permits). */
  public boolean tryAcquire() {
    return !outlier.isEjected() && breaker.tryAcquirePermission();
  }

  /** {@code onSuccess} records a successful attempt that took {@code nanos}. */
  public void onSuccess(long nanos) {
    breaker.onSuccess();
    outlier.onSuccess();
  }

  /**
   * {@code onFailure} records a failed attempt (5xx, connection failure, timeout); returns true
   * when it got the instance ejected.
   */
  public boolean onFailure(long nanos, Throwable cause) {
    breaker.onError();
    return outlier.onFailure();
  }

  /** {@code release} gives back a permission that led to no outcome (the client went away). */
  public void release() {
    breaker.releasePermission();
  }

  /** {@code breakerState} returns the breaker's state. */
  public CircuitBreaker.State breakerState() {
    return breaker.state();
  }

  /** {@code isEjected} returns whether the outlier detector ejected the instance. */
  public boolean isEjected() {
    return outlier.isEjected();
  }

  /** {@code breaker} returns the instance's breaker (for metrics and tests). */
  public Breaker breaker() {
    return breaker;
  }

  /** {@code outlier} returns the outlier detector. */
  public OutlierDetector outlier() {
    return outlier;
  }
}
