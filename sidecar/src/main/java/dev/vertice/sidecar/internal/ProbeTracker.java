package dev.vertice.sidecar.internal;

/**
 * {@code ProbeTracker} turns probe results into a health state with thresholds, as Kubernetes
 * readiness probes do: {@code successThreshold} consecutive successes make an unhealthy app
 * healthy, {@code failureThreshold} consecutive failures make a healthy app unhealthy. Results
 * that agree with the current state reset the opposite streak.
 *
 * <p>Not thread-safe: its owner calls it under its own lock.
 */
public final class ProbeTracker {

  private final int successThreshold;
  private final int failureThreshold;
  private boolean healthy;
  private int streak;

  /** {@code ProbeTracker} starts in {@code initiallyHealthy}, the result of the first probe. */
  public ProbeTracker(int successThreshold, int failureThreshold, boolean initiallyHealthy) {
    this.successThreshold = successThreshold;
    this.failureThreshold = failureThreshold;
    this.healthy = initiallyHealthy;
  }

  /** {@code record} adds one result and returns true when it changed the state. */
  public boolean record(boolean ok) {
    if (ok == healthy) {
      streak = 0;
      return false;
    }
    streak++;
    if (streak >= (ok ? successThreshold : failureThreshold)) {
      healthy = ok;
      streak = 0;
      return true;
    }
    return false;
  }

  /**
   * {@code markUnhealthy} makes the state unhealthy at once, without waiting for the failure
   * threshold (the app's process is gone), and returns true when it changed the state.
   */
  public boolean markUnhealthy() {
    boolean changed = healthy;
    healthy = false;
    streak = 0;
    return changed;
  }

  /** {@code healthy} returns the current state. */
  public boolean healthy() {
    return healthy;
  }
}
