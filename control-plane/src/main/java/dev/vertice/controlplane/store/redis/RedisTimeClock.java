package dev.vertice.controlplane.store.redis;

import dev.vertice.common.Ticker;
import dev.vertice.controlplane.store.StoreUnavailableException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.logging.Logger;

/**
 * {@code RedisTimeClock} is a wall clock that follows Redis's (the TIME command) rather than this
 * machine's, so that every replica sharing one Redis keys stats buckets and cuts canary windows by
 * the same seconds however far their own clocks drift apart.
 *
 * <p>It reads {@code local} plus an offset measured against Redis at the first read and again
 * whenever {@link #RESAMPLE_NANOS} of {@code ticker} time have passed (the measurement is off by at
 * most half a round trip). When Redis cannot be reached it keeps the last offset (0 before the
 * first success). Thread-safe; a read that resamples makes one Redis call on the caller's thread.
 */
final class RedisTimeClock extends Clock {

  private static final Logger log = Logger.getLogger(RedisTimeClock.class.getName());

  /** How often the offset is measured again: 30 s. */
  static final long RESAMPLE_NANOS = 30_000_000_000L;

  private final ScriptedRedis redis;
  private final Clock local;
  private final Ticker ticker;
  private volatile long offsetMillis;
  private volatile long sampledAtNanos;
  private volatile boolean sampled;

  RedisTimeClock(ScriptedRedis redis, Clock local, Ticker ticker) {
    this.redis = redis;
    this.local = local;
    this.ticker = ticker;
  }

  @Override
  public ZoneId getZone() {
    return local.getZone();
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new RedisTimeClock(redis, local.withZone(zone), ticker);
  }

  @Override
  public long millis() {
    if (!sampled || ticker.nanoTime() - sampledAtNanos >= RESAMPLE_NANOS) {
      sample();
    }
    return local.millis() + offsetMillis;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  /** Returns the last measured offset of Redis's clock from the local one, in milliseconds. */
  long offsetMillis() {
    return offsetMillis;
  }

  private synchronized void sample() {
    if (sampled && ticker.nanoTime() - sampledAtNanos < RESAMPLE_NANOS) {
      return;
    }
    sampledAtNanos = ticker.nanoTime();
    try {
      long before = local.millis();
      List<byte[]> time = redis.call(c -> c.time());
      long after = local.millis();
      long redisMillis = Long.parseLong(ScriptedRedis.string(time.get(0))) * 1000
          + Long.parseLong(ScriptedRedis.string(time.get(1))) / 1000;
      long offset = redisMillis - (before + after) / 2;
      if (Math.abs(offset - offsetMillis) > 1000 && sampled) {
        log.info("the local clock is " + (-offset) + " ms off Redis's: stats and canary windows follow Redis's");
      }
      offsetMillis = offset;
      sampled = true;
    } catch (StoreUnavailableException | RuntimeException e) {
      // Keep the last offset; retried at the next period.
      sampled = true;
      log.fine(() -> "cannot read Redis's clock; keeping an offset of " + offsetMillis + " ms: " + e.getMessage());
    }
  }
}
