package dev.vertice.gateway.resilience;

import dev.vertice.common.Ticker;
import java.util.Objects;

/**
 * {@code RetryBudget} caps retries to a fraction of the requests (Finagle's retry budget): each
 * request deposits {@code ratio} of a retry, each retry withdraws one, and a reserve refilled at
 * {@code minRetriesPerSecond} lets a quiet service retry at all. Under total failure the number of
 * retries therefore stays below {@code ratio × requests + minRetriesPerSecond × seconds + reserve
 * capacity}: retries never multiply the load on a failing upstream.
 *
 * <p>Thread-safe (a short lock; held for a few arithmetic operations). Time comes from the injected
 * {@link Ticker}.
 */
public final class RetryBudget {

  /** Balances are kept in thousandths of a retry: exact sums, no drift from adding 0.1 ten times. */
  private static final long ONE = 1000;

  private final long deposit;
  private final double minPerSecond;
  private final long maxBalance;
  private final Ticker ticker;

  private final Object lock = new Object();
  private volatile long balance; // written under lock, thousandths of a retry
  private double reserve; // guarded by lock
  private long lastRefillNanos; // guarded by lock
  private long withdrawn; // guarded by lock
  private long refused; // guarded by lock

  /**
   * {@code RetryBudget} creates a budget.
   *
   * @param ratio retries allowed per request, 0-1 (0.2: one retry per five requests)
   * @param minRetriesPerSecond retries allowed per second whatever the traffic (the reserve holds
   *     at most one second of them)
   * @param ticker time source
   */
  public RetryBudget(double ratio, double minRetriesPerSecond, Ticker ticker) {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new IllegalArgumentException("retry budget ratio must lie in 0..1: " + ratio);
    }
    if (!(minRetriesPerSecond >= 0)) {
      throw new IllegalArgumentException("minimum retries per second must not be negative: " + minRetriesPerSecond);
    }
    this.deposit = Math.round(ratio * ONE);
    this.minPerSecond = minRetriesPerSecond;
    // The deposits of 1000 requests at most: a long quiet spell does not bank a storm of retries.
    this.maxBalance = Math.max(ONE, deposit * 1000);
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.reserve = minRetriesPerSecond;
    this.lastRefillNanos = ticker.nanoTime();
  }

  /** {@code onRequest} deposits the share of a retry that one (first-attempt) request earns. */
  public void onRequest() {
    if (balance >= maxBalance) { // a full balance (no retries lately) stays full: no lock
      return;
    }
    synchronized (lock) {
      balance = Math.min(maxBalance, balance + deposit);
    }
  }

  /** {@code tryRetry} withdraws one retry; returns false (and counts a refusal) when the budget is spent. */
  public boolean tryRetry() {
    synchronized (lock) {
      long now = ticker.nanoTime();
      double elapsed = Math.max(0, now - lastRefillNanos) / 1e9;
      lastRefillNanos = now;
      reserve = Math.min(minPerSecond, reserve + elapsed * minPerSecond);
      if (balance >= ONE) {
        balance -= ONE;
        withdrawn++;
        return true;
      }
      if (reserve >= 1) {
        reserve -= 1;
        withdrawn++;
        return true;
      }
      refused++;
      return false;
    }
  }

  /** {@code retries} returns the retries granted so far. */
  public long retries() {
    synchronized (lock) {
      return withdrawn;
    }
  }

  /** {@code refused} returns the retries refused so far because the budget was spent. */
  public long refused() {
    synchronized (lock) {
      return refused;
    }
  }
}
