package dev.vertice.gateway.health;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code HealthCheckConfig} holds the settings of a {@link HealthCheckService}: cache lifetimes,
 * the optional shared Redis, the per-service circuit breaker and the probe limits. Immutable; build
 * with {@link #custom()} (from the defaults) or {@link #from(HealthCheckConfig)} (from another
 * config), or take {@link #ofDefaults()}. Every setter validates its value and its exception quotes
 * the rejected value.
 */
public final class HealthCheckConfig {

  /** Layer 1 (in-process Caffeine cache) lifetime of an answer: 5 s. */
  public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(5);
  /** Layer 2 (Redis, shared across gateways) lifetime of an answer: 30 s. */
  public static final Duration DEFAULT_REDIS_TTL = Duration.ofSeconds(30);
  /** Longest wait for one Redis command before the layer counts as a miss: 250 ms. */
  public static final Duration DEFAULT_REDIS_TIMEOUT = Duration.ofMillis(250);
  /** Key prefix of answers in Redis. */
  public static final String DEFAULT_REDIS_KEY_PREFIX = "vertice:health:";
  /** Longest single probe (HTTP GET or grpc.health.v1 Check): 1 s. */
  public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(1);
  /** Longest whole check of one service, queueing included: 3 s. */
  public static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(3);
  /** Probes in flight at once, across all services: 16. */
  public static final int DEFAULT_MAX_CONCURRENT_PROBES = 16;
  /** Probes waiting for a slot, across all services: 1024; more are answered UNKNOWN at once. */
  public static final int DEFAULT_MAX_QUEUED_PROBES = 1024;
  /** Instances probed per check (the first ones by instance id): 64. */
  public static final int DEFAULT_MAX_INSTANCES_PER_CHECK = 64;
  /** Services with cached answers, breakers and open gRPC probe channels: 10,000. */
  public static final int DEFAULT_MAX_SERVICES = 10_000;
  /**
   * Default probe rounds (cache misses that probe a service's instances) started per second, over
   * every service and caller: 20.
   */
  public static final int DEFAULT_MAX_PROBE_ROUNDS_PER_SECOND = 20;
  /** Breaker: failure rate (percent of failed checks in the window) that opens it: 50. */
  public static final float DEFAULT_BREAKER_FAILURE_RATE = 50f;
  /** Breaker: checks in its count-based window: 5. */
  public static final int DEFAULT_BREAKER_WINDOW = 5;
  /** Breaker: checks recorded before it may open: 3. */
  public static final int DEFAULT_BREAKER_MINIMUM_CALLS = 3;
  /** Breaker: how long it stays open, answering without probing: 30 s. */
  public static final Duration DEFAULT_BREAKER_OPEN_DURATION = Duration.ofSeconds(30);
  /** Instance metadata key naming the HTTP health path. */
  public static final String HEALTH_PATH_KEY = "health_path";
  /** HTTP health path used when the instance names none. */
  public static final String DEFAULT_HEALTH_PATH = "/health";
  /** Instance metadata key naming the grpc.health.v1 service to check ("" = the whole server). */
  public static final String GRPC_HEALTH_SERVICE_KEY = "grpc_health_service";

  private static final HealthCheckConfig DEFAULTS = custom().build();

  private final Duration cacheTtl;
  private final Duration redisTtl;
  private final URI redisUri;
  private final Duration redisTimeout;
  private final String redisKeyPrefix;
  private final Duration probeTimeout;
  private final Duration checkTimeout;
  private final int maxConcurrentProbes;
  private final int maxQueuedProbes;
  private final int maxInstancesPerCheck;
  private final int maxServices;
  private final int maxProbeRoundsPerSecond;
  private final float breakerFailureRate;
  private final int breakerWindow;
  private final int breakerMinimumCalls;
  private final Duration breakerOpenDuration;

  private HealthCheckConfig(Builder b) {
    this.cacheTtl = b.cacheTtl;
    this.redisTtl = b.redisTtl;
    this.redisUri = b.redisUri;
    this.redisTimeout = b.redisTimeout;
    this.redisKeyPrefix = b.redisKeyPrefix;
    this.probeTimeout = b.probeTimeout;
    this.checkTimeout = b.checkTimeout;
    this.maxConcurrentProbes = b.maxConcurrentProbes;
    this.maxQueuedProbes = b.maxQueuedProbes;
    this.maxInstancesPerCheck = b.maxInstancesPerCheck;
    this.maxServices = b.maxServices;
    this.maxProbeRoundsPerSecond = b.maxProbeRoundsPerSecond;
    this.breakerFailureRate = b.breakerFailureRate;
    this.breakerWindow = b.breakerWindow;
    this.breakerMinimumCalls = b.breakerMinimumCalls;
    this.breakerOpenDuration = b.breakerOpenDuration;
  }

  /** {@code ofDefaults} returns the default configuration: no Redis, the {@code DEFAULT_*} values. */
  public static HealthCheckConfig ofDefaults() {
    return DEFAULTS;
  }

  /** {@code custom} returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** {@code from} returns a builder starting from {@code base}. */
  public static Builder from(HealthCheckConfig base) {
    return new Builder(Objects.requireNonNull(base, "base"));
  }

  /** {@code cacheTtl} is how long layer 1 keeps an answer. */
  public Duration cacheTtl() {
    return cacheTtl;
  }

  /** {@code redisTtl} is how long layer 2 (Redis) keeps an answer. */
  public Duration redisTtl() {
    return redisTtl;
  }

  /** {@code redisUri} is the Redis of layer 2, or empty when layer 2 is off. */
  public Optional<URI> redisUri() {
    return Optional.ofNullable(redisUri);
  }

  /** {@code redisTimeout} bounds each Redis command. */
  public Duration redisTimeout() {
    return redisTimeout;
  }

  /** {@code redisKeyPrefix} prefixes the canonical service name in Redis keys. */
  public String redisKeyPrefix() {
    return redisKeyPrefix;
  }

  /** {@code probeTimeout} bounds one probe. */
  public Duration probeTimeout() {
    return probeTimeout;
  }

  /** {@code checkTimeout} bounds a whole check, time waiting for a probe slot included. */
  public Duration checkTimeout() {
    return checkTimeout;
  }

  /** {@code maxConcurrentProbes} is the number of probes in flight at once, across services. */
  public int maxConcurrentProbes() {
    return maxConcurrentProbes;
  }

  /** {@code maxQueuedProbes} is the number of probes that may wait for a slot. */
  public int maxQueuedProbes() {
    return maxQueuedProbes;
  }

  /** {@code maxInstancesPerCheck} is the number of instances one check probes. */
  public int maxInstancesPerCheck() {
    return maxInstancesPerCheck;
  }

  /** {@code maxServices} bounds the services the service keeps state for. */
  public int maxServices() {
    return maxServices;
  }

  /**
   * {@code maxProbeRoundsPerSecond} is how many probe rounds may start per second (a token bucket
   * holding one second's worth); a check that would start one more is answered
   * {@code RATE_LIMITED} (HTTP 429) without probing or caching anything.
   */
  public int maxProbeRoundsPerSecond() {
    return maxProbeRoundsPerSecond;
  }

  /** {@code breakerFailureRate} is the failure percentage that opens a service's breaker. */
  public float breakerFailureRate() {
    return breakerFailureRate;
  }

  /** {@code breakerWindow} is the number of checks in the breaker's window. */
  public int breakerWindow() {
    return breakerWindow;
  }

  /** {@code breakerMinimumCalls} is the number of checks recorded before the breaker may open. */
  public int breakerMinimumCalls() {
    return breakerMinimumCalls;
  }

  /** {@code breakerOpenDuration} is how long an open breaker answers without probing. */
  public Duration breakerOpenDuration() {
    return breakerOpenDuration;
  }

  @Override
  public String toString() {
    return "HealthCheckConfig{cacheTtl=" + cacheTtl + ", redisTtl=" + redisTtl + ", redis="
        + (redisUri == null ? "off" : redisUri.getHost() + ":" + redisUri.getPort()) + ", probeTimeout=" + probeTimeout
        + ", checkTimeout=" + checkTimeout + ", maxConcurrentProbes=" + maxConcurrentProbes
        + ", maxProbeRoundsPerSecond=" + maxProbeRoundsPerSecond + "}";
  }

  /** {@code Builder} builds a {@link HealthCheckConfig}; every setter validates its value. */
  public static final class Builder {
    private Duration cacheTtl = DEFAULT_CACHE_TTL;
    private Duration redisTtl = DEFAULT_REDIS_TTL;
    private URI redisUri;
    private Duration redisTimeout = DEFAULT_REDIS_TIMEOUT;
    private String redisKeyPrefix = DEFAULT_REDIS_KEY_PREFIX;
    private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
    private Duration checkTimeout = DEFAULT_CHECK_TIMEOUT;
    private int maxConcurrentProbes = DEFAULT_MAX_CONCURRENT_PROBES;
    private int maxQueuedProbes = DEFAULT_MAX_QUEUED_PROBES;
    private int maxInstancesPerCheck = DEFAULT_MAX_INSTANCES_PER_CHECK;
    private int maxServices = DEFAULT_MAX_SERVICES;
    private int maxProbeRoundsPerSecond = DEFAULT_MAX_PROBE_ROUNDS_PER_SECOND;
    private float breakerFailureRate = DEFAULT_BREAKER_FAILURE_RATE;
    private int breakerWindow = DEFAULT_BREAKER_WINDOW;
    private int breakerMinimumCalls = DEFAULT_BREAKER_MINIMUM_CALLS;
    private Duration breakerOpenDuration = DEFAULT_BREAKER_OPEN_DURATION;

    private Builder() {}

    private Builder(HealthCheckConfig c) {
      cacheTtl = c.cacheTtl;
      redisTtl = c.redisTtl;
      redisUri = c.redisUri;
      redisTimeout = c.redisTimeout;
      redisKeyPrefix = c.redisKeyPrefix;
      probeTimeout = c.probeTimeout;
      checkTimeout = c.checkTimeout;
      maxConcurrentProbes = c.maxConcurrentProbes;
      maxQueuedProbes = c.maxQueuedProbes;
      maxInstancesPerCheck = c.maxInstancesPerCheck;
      maxServices = c.maxServices;
      maxProbeRoundsPerSecond = c.maxProbeRoundsPerSecond;
      breakerFailureRate = c.breakerFailureRate;
      breakerWindow = c.breakerWindow;
      breakerMinimumCalls = c.breakerMinimumCalls;
      breakerOpenDuration = c.breakerOpenDuration;
    }

    /** {@code cacheTtl} sets layer 1's lifetime (at least 1 ms, default 5 s). */
    public Builder cacheTtl(Duration v) {
      this.cacheTtl = atLeast("cacheTtl", v, Duration.ofMillis(1));
      return this;
    }

    /** {@code redisTtl} sets layer 2's lifetime (at least 1 ms, default 30 s). */
    public Builder redisTtl(Duration v) {
      this.redisTtl = atLeast("redisTtl", v, Duration.ofMillis(1));
      return this;
    }

    /**
     * {@code redisUri} turns layer 2 on, e.g. {@code redis://127.0.0.1:6379/0} (schemes {@code
     * redis} and {@code rediss}); {@code null} turns it off (the default).
     */
    public Builder redisUri(URI v) {
      if (v != null && (v.getScheme() == null || !(v.getScheme().equals("redis") || v.getScheme().equals("rediss"))
          || v.getHost() == null)) {
        throw new IllegalArgumentException("redisUri must be redis://host[:port][/db] or rediss://...: '"
            + withoutPassword(v) + "'");
      }
      this.redisUri = v;
      return this;
    }

    /** Returns {@code v} as text with its user info (a password) replaced by {@code ***}. */
    private static String withoutPassword(URI v) {
      // By text, not getRawUserInfo(): a URI whose authority does not parse as host:port has none.
      String text = v.toString();
      int scheme = text.indexOf("://");
      int at = text.lastIndexOf('@');
      return scheme < 0 || at < scheme ? text : text.substring(0, scheme + 3) + "***" + text.substring(at);
    }

    /** {@code redisTimeout} bounds each Redis command (at least 1 ms, default 250 ms). */
    public Builder redisTimeout(Duration v) {
      this.redisTimeout = atLeast("redisTimeout", v, Duration.ofMillis(1));
      return this;
    }

    /** {@code redisKeyPrefix} sets the Redis key prefix (not blank; default {@code vertice:health:}). */
    public Builder redisKeyPrefix(String v) {
      if (v == null || v.isBlank()) {
        throw new IllegalArgumentException("redisKeyPrefix must not be blank: '" + v + "'");
      }
      this.redisKeyPrefix = v;
      return this;
    }

    /** {@code probeTimeout} bounds one probe (at least 1 ms, default 1 s). */
    public Builder probeTimeout(Duration v) {
      this.probeTimeout = atLeast("probeTimeout", v, Duration.ofMillis(1));
      return this;
    }

    /** {@code checkTimeout} bounds a whole check (at least 1 ms, default 3 s). */
    public Builder checkTimeout(Duration v) {
      this.checkTimeout = atLeast("checkTimeout", v, Duration.ofMillis(1));
      return this;
    }

    /** {@code maxConcurrentProbes} sets the probes in flight at once (1-10,000, default 16). */
    public Builder maxConcurrentProbes(int v) {
      this.maxConcurrentProbes = within("maxConcurrentProbes", v, 1, 10_000);
      return this;
    }

    /** {@code maxQueuedProbes} sets the probes that may wait (0-1,000,000, default 1024). */
    public Builder maxQueuedProbes(int v) {
      this.maxQueuedProbes = within("maxQueuedProbes", v, 0, 1_000_000);
      return this;
    }

    /** {@code maxInstancesPerCheck} sets the instances one check probes (1-10,000, default 64). */
    public Builder maxInstancesPerCheck(int v) {
      this.maxInstancesPerCheck = within("maxInstancesPerCheck", v, 1, 10_000);
      return this;
    }

    /** {@code maxServices} bounds the services state is kept for (1-1,000,000, default 10,000). */
    public Builder maxServices(int v) {
      this.maxServices = within("maxServices", v, 1, 1_000_000);
      return this;
    }

    /**
     * {@code maxProbeRoundsPerSecond} sets the probe rounds that may start per second, over every
     * service and caller (1-100,000, default 20); beyond, checks that miss the caches get 429.
     */
    public Builder maxProbeRoundsPerSecond(int v) {
      this.maxProbeRoundsPerSecond = within("maxProbeRoundsPerSecond", v, 1, 100_000);
      return this;
    }

    /** {@code breakerFailureRate} sets the opening failure percentage (over 0, at most 100; default 50). */
    public Builder breakerFailureRate(float v) {
      if (!(v > 0 && v <= 100)) {
        throw new IllegalArgumentException("breakerFailureRate must be in (0, 100]: " + v);
      }
      this.breakerFailureRate = v;
      return this;
    }

    /** {@code breakerWindow} sets the checks in the breaker's window (1-1000, default 5). */
    public Builder breakerWindow(int v) {
      this.breakerWindow = within("breakerWindow", v, 1, 1000);
      return this;
    }

    /** {@code breakerMinimumCalls} sets the checks needed before opening (1-1000, default 3). */
    public Builder breakerMinimumCalls(int v) {
      this.breakerMinimumCalls = within("breakerMinimumCalls", v, 1, 1000);
      return this;
    }

    /** {@code breakerOpenDuration} sets how long an open breaker answers alone (at least 1 ms, default 30 s). */
    public Builder breakerOpenDuration(Duration v) {
      this.breakerOpenDuration = atLeast("breakerOpenDuration", v, Duration.ofMillis(1));
      return this;
    }

    /**
     * {@code build} returns the configuration.
     *
     * @throws IllegalArgumentException when breakerMinimumCalls exceeds breakerWindow
     */
    public HealthCheckConfig build() {
      if (breakerMinimumCalls > breakerWindow) {
        throw new IllegalArgumentException("breakerMinimumCalls (" + breakerMinimumCalls
            + ") must not exceed breakerWindow (" + breakerWindow + ")");
      }
      return new HealthCheckConfig(this);
    }

    private static Duration atLeast(String what, Duration v, Duration min) {
      Objects.requireNonNull(v, what);
      if (v.compareTo(min) < 0) {
        throw new IllegalArgumentException(what + " must be at least " + min + ": " + v);
      }
      return v;
    }

    private static int within(String what, int v, int min, int max) {
      if (v < min || v > max) {
        throw new IllegalArgumentException(what + " must be in [" + min + ", " + max + "]: " + v);
      }
      return v;
    }
  }
}
