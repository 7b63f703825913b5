package dev.vertice.client;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code BackoffConfig} describes how long a client waits before reconnecting to the control
 * plane after a stream failed: jittered exponential backoff.
 *
 * <p>The n-th consecutive failure waits {@code min(initialDelay * multiplier^(n-1), maxDelay)},
 * moved at random by up to {@code ±jitter} of itself, and never more than {@code maxDelay}. A
 * successful connection starts the sequence again. The defaults are an initial delay of {@value
 * #DEFAULT_INITIAL_DELAY_MILLIS} ms, a maximum of {@value #DEFAULT_MAX_DELAY_MILLIS} ms, a
 * multiplier of {@value #DEFAULT_MULTIPLIER} and a jitter of {@value #DEFAULT_JITTER}.
 *
 * <p>Immutable and thread-safe. Build one with {@link #ofDefaults()}, {@link #custom()} (from the
 * defaults) or {@link #from(BackoffConfig)} (from another config): the project's one config style
 * (DEVELOPERS.md). The builder's setters reject impossible values at once, quoting them.
 */
public final class BackoffConfig {

  /** Default delay before the first reconnect, in milliseconds. */
  public static final long DEFAULT_INITIAL_DELAY_MILLIS = 100;
  /** Default longest delay between reconnects, in milliseconds. */
  public static final long DEFAULT_MAX_DELAY_MILLIS = 5_000;
  /** Default factor applied to the delay after each consecutive failure. */
  public static final double DEFAULT_MULTIPLIER = 1.6;
  /** Default relative jitter: each delay moves at random within ±20 % of itself. */
  public static final double DEFAULT_JITTER = 0.2;

  private static final BackoffConfig DEFAULTS = custom().build();

  private final Duration initialDelay;
  private final Duration maxDelay;
  private final double multiplier;
  private final double jitter;

  private BackoffConfig(Builder b) {
    this.initialDelay = b.initialDelay;
    this.maxDelay = b.maxDelay;
    this.multiplier = b.multiplier;
    this.jitter = b.jitter;
  }

  /** {@code ofDefaults} returns the default backoff: 100 ms, ×1.6 per failure, at most 5 s, ±20 %. */
  public static BackoffConfig ofDefaults() {
    return DEFAULTS;
  }

  /** {@code custom} returns a builder that starts from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /**
   * {@code from} returns a builder that starts from {@code base}'s values: {@code
   * from(base).maxDelay(d).build()} is the copy with another maximum.
   */
  public static Builder from(BackoffConfig base) {
    return new Builder(Objects.requireNonNull(base, "base"));
  }

  /** {@code initialDelay} returns the delay before the first reconnect (before jitter). */
  public Duration initialDelay() {
    return initialDelay;
  }

  /** {@code maxDelay} returns the longest delay between two reconnects, jitter included. */
  public Duration maxDelay() {
    return maxDelay;
  }

  /** {@code multiplier} returns the factor applied to the delay after each consecutive failure. */
  public double multiplier() {
    return multiplier;
  }

  /** {@code jitter} returns the relative jitter, between 0 (none) and 1. */
  public double jitter() {
    return jitter;
  }

  @Override
  public String toString() {
    return "BackoffConfig{initialDelay=" + initialDelay + ", maxDelay=" + maxDelay + ", multiplier=" + multiplier
        + ", jitter=" + jitter + "}";
  }

  /** {@code Builder} builds a {@link BackoffConfig}; not thread-safe. */
  public static final class Builder {
    private Duration initialDelay = Duration.ofMillis(DEFAULT_INITIAL_DELAY_MILLIS);
    private Duration maxDelay = Duration.ofMillis(DEFAULT_MAX_DELAY_MILLIS);
    private double multiplier = DEFAULT_MULTIPLIER;
    private double jitter = DEFAULT_JITTER;

    private Builder() {}

    private Builder(BackoffConfig base) {
      this.initialDelay = base.initialDelay;
      this.maxDelay = base.maxDelay;
      this.multiplier = base.multiplier;
      this.jitter = base.jitter;
    }

    /**
     * {@code initialDelay} sets the delay before the first reconnect.
     *
     * @throws IllegalArgumentException when {@code value} is null, zero or negative
     */
    public Builder initialDelay(Duration value) {
      this.initialDelay = positive("initialDelay", value);
      return this;
    }

    /**
     * {@code maxDelay} sets the longest delay between two reconnects.
     *
     * @throws IllegalArgumentException when {@code value} is null, zero or negative
     */
    public Builder maxDelay(Duration value) {
      this.maxDelay = positive("maxDelay", value);
      return this;
    }

    /**
     * {@code multiplier} sets the growth factor per consecutive failure.
     *
     * @throws IllegalArgumentException when {@code value} is below 1 or not finite
     */
    public Builder multiplier(double value) {
      if (!(value >= 1.0) || Double.isInfinite(value)) {
        throw new IllegalArgumentException("multiplier must be a finite number >= 1: " + value);
      }
      this.multiplier = value;
      return this;
    }

    /**
     * {@code jitter} sets the relative jitter.
     *
     * @throws IllegalArgumentException when {@code value} is outside [0, 1]
     */
    public Builder jitter(double value) {
      if (!(value >= 0.0 && value <= 1.0)) {
        throw new IllegalArgumentException("jitter must lie within [0, 1]: " + value);
      }
      this.jitter = value;
      return this;
    }

    /**
     * {@code build} returns the config.
     *
     * @throws IllegalArgumentException when the initial delay exceeds the maximum
     */
    public BackoffConfig build() {
      if (initialDelay.compareTo(maxDelay) > 0) {
        throw new IllegalArgumentException("initialDelay " + initialDelay + " exceeds maxDelay " + maxDelay);
      }
      return new BackoffConfig(this);
    }

    private static Duration positive(String name, Duration value) {
      if (value == null || value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }
  }
}
