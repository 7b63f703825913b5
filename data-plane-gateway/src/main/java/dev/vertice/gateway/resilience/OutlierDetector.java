package dev.vertice.gateway.resilience;

import dev.vertice.common.Ticker;
import java.time.Duration;
import java.util.Objects;

/**
 * {@code OutlierDetector} ejects an instance after {@code consecutiveFailures} failures in a row
 * (5xx, connection failure, timeout) for {@code baseEjection × n}, n being how many times it was
 * ejected before (capped at {@code maxEjection}); a success resets the run of failures. One
 * detector per instance.
 *
 * <p>Thread-safe: a lock held for a few arithmetic operations. Time from the injected {@link Ticker}.
 */
public final class OutlierDetector {

  private final int consecutiveFailures;
  private final long baseNanos;
  private final long maxNanos;
  private final Ticker ticker;

  private final Object lock = new Object();
  private volatile int failures; // written under lock
  private int ejections; // guarded by lock
  private volatile long ejectedUntilNanos;
  private volatile boolean ejected;

  /** {@code OutlierDetector} creates a detector with the given thresholds. */
  public OutlierDetector(int consecutiveFailures, Duration baseEjection, Duration maxEjection, Ticker ticker) {
    if (consecutiveFailures < 1) {
      throw new IllegalArgumentException("consecutive failures must be at least 1: " + consecutiveFailures);
    }
    this.consecutiveFailures = consecutiveFailures;
    this.baseNanos = baseEjection.toNanos();
    this.maxNanos = Math.max(maxEjection.toNanos(), baseNanos);
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /** {@code isEjected} returns whether the instance is ejected now. Lock-free. */
  public boolean isEjected() {
    return ejected && ticker.nanoTime() - ejectedUntilNanos < 0;
  }

  /** {@code onSuccess} ends the current run of failures. */
  public void onSuccess() {
    if (failures != 0) { // the usual case, no run of failures, takes no lock
      synchronized (lock) {
        failures = 0;
      }
    }
  }

  /** {@code onFailure} counts a failure; returns true when it ejected the instance. */
  public boolean onFailure() {
    synchronized (lock) {
      failures++;
      if (failures < consecutiveFailures || isEjected()) {
        return false;
      }
      failures = 0;
      ejections++;
      long duration = Math.min(maxNanos, baseNanos * Math.min(ejections, 1L << 20));
      ejectedUntilNanos = ticker.nanoTime() + duration;
      ejected = true;
      return true;
    }
  }

  /** {@code ejections} returns how many times the instance was ejected. */
  public int ejections() {
    synchronized (lock) {
      return ejections;
    }
  }
}
