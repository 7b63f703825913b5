package dev.vertice.security.auth;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code RateLimits} holds one resilience4j {@link RateLimiter} per identity and operation
 * (Register, SetHealth, new Watch subscriptions). A call that finds no permit is refused at once
 * (no waiting). The limiters live in a bounded least-recently-used map of {@link #maxIdentities}
 * identities: an identity evicted and seen again starts with a full budget. Thread-safe.
 */
public final class RateLimits {

  /** The rate-limited operations. */
  public enum Operation {
    /** RegistryService.Register. */
    REGISTER("Register"),
    /** RegistryService.SetHealth. */
    SET_HEALTH("SetHealth"),
    /** A Watch or ADS request that subscribes to names. */
    WATCH("new Watch subscriptions");

    private final String label;

    Operation(String label) {
      this.label = label;
    }

    /** Returns how the operation is named in error messages. */
    public String label() {
      return label;
    }
  }

  /**
   * {@code Limit} is {@code permits} per {@code period}.
   *
   * @param permits calls allowed per period, positive
   * @param period the refresh period, at least 1 ms
   */
  public record Limit(int permits, Duration period) {
    public Limit {
      if (permits <= 0) {
        throw new IllegalArgumentException("a rate limit needs a positive number of permits: " + permits);
      }
      if (period.toMillis() < 1) {
        throw new IllegalArgumentException("a rate limit period must be at least 1 ms: " + period);
      }
    }

    /** Returns {@code permits} per second. */
    public static Limit perSecond(int permits) {
      return new Limit(permits, Duration.ofSeconds(1));
    }

    @Override
    public String toString() {
      return permits + " per " + (period.equals(Duration.ofSeconds(1)) ? "second" : period.toString());
    }
  }

  /** Default Register calls per identity per second. */
  public static final int DEFAULT_REGISTER_PER_SECOND = 50;
  /** Default SetHealth calls per identity per second. */
  public static final int DEFAULT_SET_HEALTH_PER_SECOND = 50;
  /** Default Watch subscribe requests per identity per second. */
  public static final int DEFAULT_WATCH_PER_SECOND = 20;
  /** Default identities tracked at once. */
  public static final int DEFAULT_MAX_IDENTITIES = 10_000;

  private final Map<Operation, RateLimiterConfig> configs;
  private final Map<Operation, Limit> limits;
  private final int maxIdentities;
  private final LinkedHashMap<String, RateLimiter> limiters; // guarded by itself

  /** Creates limits for Register, SetHealth and Watch subscriptions, tracking at most {@code maxIdentities}. */
  public RateLimits(Limit register, Limit setHealth, Limit watch, int maxIdentities) {
    if (maxIdentities <= 0) {
      throw new IllegalArgumentException("maxIdentities must be positive: " + maxIdentities);
    }
    this.limits = Map.of(Operation.REGISTER, register, Operation.SET_HEALTH, setHealth, Operation.WATCH, watch);
    this.configs = Map.of(Operation.REGISTER, config(register), Operation.SET_HEALTH, config(setHealth),
        Operation.WATCH, config(watch));
    this.maxIdentities = maxIdentities;
    this.limiters = new LinkedHashMap<>(64, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, RateLimiter> eldest) {
        return size() > RateLimits.this.maxIdentities * Operation.values().length;
      }
    };
  }

  /** Returns the defaults: 50 Register, 50 SetHealth and 20 Watch subscribe requests per identity per second. */
  public static RateLimits ofDefaults() {
    return new RateLimits(Limit.perSecond(DEFAULT_REGISTER_PER_SECOND), Limit.perSecond(DEFAULT_SET_HEALTH_PER_SECOND),
        Limit.perSecond(DEFAULT_WATCH_PER_SECOND), DEFAULT_MAX_IDENTITIES);
  }

  private static RateLimiterConfig config(Limit l) {
    return RateLimiterConfig.custom()
        .limitForPeriod(l.permits())
        .limitRefreshPeriod(l.period())
        .timeoutDuration(Duration.ZERO)
        .build();
  }

  /** Returns the limit of {@code op}. */
  public Limit limit(Operation op) {
    return limits.get(op);
  }

  /** Takes a permit of {@code op} for {@code identity}; false when its budget is spent. */
  public boolean tryAcquire(Identity identity, Operation op) {
    String key = op.name() + "|" + identity.kind() + "|" + identity.name();
    RateLimiter limiter;
    synchronized (limiters) {
      limiter = limiters.computeIfAbsent(key, k -> RateLimiter.of(k, configs.get(op)));
    }
    return limiter.acquirePermission();
  }

  /** Returns the number of limiters held (at most three per tracked identity). */
  public int size() {
    synchronized (limiters) {
      return limiters.size();
    }
  }
}
