package dev.vertice.gateway.health.internal;

import dev.vertice.common.Ticker;

/**
 * {@code RoundRateLimit} is a token bucket on an injected {@link Ticker}: {@code perSecond} tokens a
 * second, holding at most one second's worth. Thread-safe.
 */
public final class RoundRateLimit {

  private static final long SECOND = 1_000_000_000L;

  private final Ticker ticker;
  private final int perSecond;
  // guarded by this; in nanosecond-tokens (one token = SECOND), so refills need no division
  private long available;
  private long last;

  /** {@code RoundRateLimit} allows {@code perSecond} acquisitions a second, starting full. */
  public RoundRateLimit(Ticker ticker, int perSecond) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("perSecond must be positive: " + perSecond);
    }
    this.ticker = ticker;
    this.perSecond = perSecond;
    this.available = capacity();
    this.last = ticker.nanoTime();
  }

  private long capacity() {
    return perSecond * SECOND;
  }

  /** {@code tryAcquire} takes one token and returns true, or returns false when there is none. */
  public synchronized boolean tryAcquire() {
    long now = ticker.nanoTime();
    long elapsed = Math.max(0, now - last);
    last = now;
    // elapsed * perSecond may overflow after a long pause: any pause of a second refills the bucket.
    available = elapsed >= SECOND ? capacity() : Math.min(capacity(), available + elapsed * perSecond);
    if (available < SECOND) {
      return false;
    }
    available -= SECOND;
    return true;
  }
}
