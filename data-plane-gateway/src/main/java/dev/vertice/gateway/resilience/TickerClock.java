package dev.vertice.gateway.resilience;

import dev.vertice.common.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * {@code TickerClock} is a {@link Clock} that follows a {@link Ticker}, for libraries that take a
 * Clock (resilience4j's breaker): only differences between its instants mean anything. The one
 * adapter of the gateway: the health-check service's breakers use it.
 */
public final class TickerClock extends Clock {

  private final Ticker ticker;

  /** {@code TickerClock} follows {@code ticker}. */
  public TickerClock(Ticker ticker) {
    this.ticker = ticker;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    long n = ticker.nanoTime();
    return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
  }

  @Override
  public long millis() {
    return Math.floorDiv(ticker.nanoTime(), 1_000_000L);
  }
}
