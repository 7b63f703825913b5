package dev.vertice.client.internal;

import dev.vertice.client.BackoffConfig;
import java.util.Random;

/**
 * {@code Backoff} produces the delays of a {@link BackoffConfig} for one sequence of consecutive
 * failures. Randomness comes from the injected {@link Random}, so a seeded one gives a
 * reproducible sequence.
 *
 * <p>Not thread-safe: each owner calls it under its own lock.
 */
public final class Backoff {

  private final BackoffConfig config;
  private final Random random;
  private final long initialNanos;
  private final long maxNanos;
  private long nextNanos;

  /** {@code Backoff} creates a sequence that starts at the config's initial delay. */
  public Backoff(BackoffConfig config, Random random) {
    this.config = config;
    this.random = random;
    this.initialNanos = config.initialDelay().toNanos();
    this.maxNanos = config.maxDelay().toNanos();
    this.nextNanos = initialNanos;
  }

  /**
   * {@code nextDelayNanos} returns the delay to wait after one more consecutive failure, in
   * nanoseconds: the current base moved by up to ±jitter of itself, at most the maximum. Then the
   * base grows by the multiplier (up to the maximum).
   */
  public long nextDelayNanos() {
    long base = nextNanos;
    double offset = config.jitter() * (2 * random.nextDouble() - 1); // in [-jitter, +jitter)
    long delay = Math.min(maxNanos, Math.max(0, Math.round(base * (1 + offset))));
    nextNanos = (long) Math.min((double) maxNanos, base * config.multiplier());
    return delay;
  }

  /** {@code reset} starts the sequence again at the initial delay, after a success. */
  public void reset() {
    nextNanos = initialNanos;
  }
}
