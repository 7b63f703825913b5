package dev.vertice.client;

import java.util.Objects;
import java.util.Random;

/**
 * {@code Backoff} produces the delays of a {@link BackoffConfig} for one sequence of consecutive
 * failures: the n-th call of {@link #nextDelayNanos()} returns {@code min(initialDelay *
 * multiplier^(n-1), maxDelay)} moved at random by up to {@code ±jitter} of itself, never more
 * than {@code maxDelay}; {@link #reset()} starts again after a success.
 *
 * <p>Every client of this module reconnects and retries with one; code that retries on its own
 * (a sidecar re-registering, a probe) can use it too, with the same config:
 *
 * <pre>{@code
 * Backoff backoff = new Backoff(BackoffConfig.ofDefaults(), new Random());
 * scheduler.schedule(this::retry, backoff.nextDelayNanos(), TimeUnit.NANOSECONDS);
 * }</pre>
 *
 * <p>Randomness comes from the injected {@link Random}, so a seeded one gives a reproducible
 * sequence. Not thread-safe: each owner calls it under its own lock.
 */
public final class Backoff {

  private final BackoffConfig config;
  private final Random random;
  private final long initialNanos;
  private final long maxNanos;
  private long nextNanos;

  /**
   * {@code Backoff} creates a sequence of {@code config}'s delays that starts at its initial
   * delay, jittered with {@code random}.
   */
  public Backoff(BackoffConfig config, Random random) {
    this.config = Objects.requireNonNull(config, "config");
    this.random = Objects.requireNonNull(random, "random");
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
