package dev.vertice.controlplane.registry;

import java.time.Duration;

/**
 * {@code RegistryConfig} holds the lease rules of a registry.
 *
 * <p>Use {@link #ofDefaults()} or {@link #custom()}; the builder's setters reject impossible
 * values at once, quoting them.
 */
public final class RegistryConfig {

  /** Lease TTL when a registration sets none. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);
  /** Keepalive interval when a registration sets none (or half the TTL when that is shorter). */
  public static final Duration DEFAULT_KEEPALIVE = Duration.ofSeconds(30);
  /** Shortest TTL a registration may ask for. */
  public static final Duration DEFAULT_MIN_TTL = Duration.ofSeconds(5);
  /** Longest TTL a registration may ask for. */
  public static final Duration DEFAULT_MAX_TTL = Duration.ofHours(1);
  /** Shortest keepalive interval a registration may ask for. */
  public static final Duration MIN_KEEPALIVE = Duration.ofMillis(100);
  /** Time a lease survives after its KeepAlive stream ended without Deregister. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);
  /** Granularity of lease expiry: a lease expires at most this late. */
  public static final Duration DEFAULT_EXPIRY_RESOLUTION = Duration.ofMillis(100);

  /** Most instances one registry holds; a Register beyond it is rejected. */
  public static final int DEFAULT_MAX_INSTANCES = 1_000_000;
  /**
   * Most instances one service holds, so that one service (one compromised workload identity) cannot
   * fill the whole registry and lock every other service out.
   */
  public static final int DEFAULT_MAX_INSTANCES_PER_SERVICE = 10_000;
  /** Most entries of one RegisterBatch call: bounds one atomic write (one Redis script) and its message. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 1_000;

  private final Duration defaultTtl;
  private final int maxInstances;
  private final int maxInstancesPerService;
  private final int maxBatchSize;
  private final Duration defaultKeepalive;
  private final Duration minTtl;
  private final Duration maxTtl;
  private final Duration grace;
  private final Duration expiryResolution;

  private RegistryConfig(Builder b) {
    this.defaultTtl = b.defaultTtl;
    this.defaultKeepalive = b.defaultKeepalive;
    this.minTtl = b.minTtl;
    this.maxTtl = b.maxTtl;
    this.grace = b.grace;
    this.expiryResolution = b.expiryResolution;
    this.maxInstances = b.maxInstances;
    this.maxInstancesPerService = b.maxInstancesPerService;
    this.maxBatchSize = b.maxBatchSize;
  }

  /** Returns the defaults: TTL 60 s (5 s to 1 h allowed), keepalive 30 s, grace 5 s. */
  public static RegistryConfig ofDefaults() {
    return custom().build();
  }

  /** Returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** Returns a builder starting from {@code base}. */
  public static Builder from(RegistryConfig base) {
    return new Builder(base);
  }

  public Duration defaultTtl() {
    return defaultTtl;
  }

  public Duration defaultKeepalive() {
    return defaultKeepalive;
  }

  public Duration minTtl() {
    return minTtl;
  }

  public Duration maxTtl() {
    return maxTtl;
  }

  public Duration grace() {
    return grace;
  }

  public Duration expiryResolution() {
    return expiryResolution;
  }

  public int maxInstances() {
    return maxInstances;
  }

  /** Most instances of one service; a Register of a new instance beyond it is rejected. */
  public int maxInstancesPerService() {
    return maxInstancesPerService;
  }

  /** Most entries of one RegisterBatch call; a larger batch is rejected whole. */
  public int maxBatchSize() {
    return maxBatchSize;
  }

  @Override
  public String toString() {
    return "RegistryConfig{defaultTtl=" + defaultTtl + ", defaultKeepalive=" + defaultKeepalive + ", ttl=["
        + minTtl + ", " + maxTtl + "], grace=" + grace + ", expiryResolution=" + expiryResolution
        + ", maxInstances=" + maxInstances + ", maxInstancesPerService=" + maxInstancesPerService + ", maxBatchSize=" + maxBatchSize + "}";
  }

  /** {@code Builder} builds a {@link RegistryConfig}. */
  public static final class Builder {
    private Duration defaultTtl = DEFAULT_TTL;
    private Duration defaultKeepalive = DEFAULT_KEEPALIVE;
    private Duration minTtl = DEFAULT_MIN_TTL;
    private Duration maxTtl = DEFAULT_MAX_TTL;
    private Duration grace = DEFAULT_GRACE;
    private Duration expiryResolution = DEFAULT_EXPIRY_RESOLUTION;
    private int maxInstances = DEFAULT_MAX_INSTANCES;
    private int maxInstancesPerService = DEFAULT_MAX_INSTANCES_PER_SERVICE;
    private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;

    private Builder() {}

    private Builder(RegistryConfig base) {
      this.defaultTtl = base.defaultTtl;
      this.defaultKeepalive = base.defaultKeepalive;
      this.minTtl = base.minTtl;
      this.maxTtl = base.maxTtl;
      this.grace = base.grace;
      this.expiryResolution = base.expiryResolution;
      this.maxInstances = base.maxInstances;
      this.maxInstancesPerService = base.maxInstancesPerService;
      this.maxBatchSize = base.maxBatchSize;
    }

    /** Most entries of one RegisterBatch call (default {@link #DEFAULT_MAX_BATCH_SIZE}). */
    public Builder maxBatchSize(int v) {
      if (v <= 0) {
        throw new IllegalArgumentException("maxBatchSize must be positive: " + v);
      }
      this.maxBatchSize = v;
      return this;
    }

    /** Most instances of one service (default {@link #DEFAULT_MAX_INSTANCES_PER_SERVICE}). */
    public Builder maxInstancesPerService(int v) {
      if (v <= 0) {
        throw new IllegalArgumentException("maxInstancesPerService must be positive: " + v);
      }
      this.maxInstancesPerService = v;
      return this;
    }

    public Builder maxInstances(int v) {
      if (v <= 0) {
        throw new IllegalArgumentException("maxInstances must be positive: " + v);
      }
      this.maxInstances = v;
      return this;
    }

    public Builder defaultTtl(Duration v) {
      this.defaultTtl = positive("defaultTtl", v);
      return this;
    }

    public Builder defaultKeepalive(Duration v) {
      this.defaultKeepalive = positive("defaultKeepalive", v);
      return this;
    }

    public Builder minTtl(Duration v) {
      this.minTtl = positive("minTtl", v);
      return this;
    }

    public Builder maxTtl(Duration v) {
      this.maxTtl = positive("maxTtl", v);
      return this;
    }

    /** Grace after a broken KeepAlive stream; zero removes at the stream's end. */
    public Builder grace(Duration v) {
      if (v == null || v.isNegative()) {
        throw new IllegalArgumentException("grace must be zero or positive: " + v);
      }
      this.grace = v;
      return this;
    }

    public Builder expiryResolution(Duration v) {
      this.expiryResolution = positive("expiryResolution", v);
      return this;
    }

    /** Builds the config, checking that the bounds agree with each other. */
    public RegistryConfig build() {
      if (minTtl.compareTo(maxTtl) > 0) {
        throw new IllegalArgumentException("minTtl " + minTtl + " exceeds maxTtl " + maxTtl);
      }
      if (defaultTtl.compareTo(minTtl) < 0 || defaultTtl.compareTo(maxTtl) > 0) {
        throw new IllegalArgumentException("defaultTtl " + defaultTtl + " is outside [" + minTtl + ", " + maxTtl + "]");
      }
      if (defaultKeepalive.compareTo(MIN_KEEPALIVE) < 0) {
        throw new IllegalArgumentException("defaultKeepalive " + defaultKeepalive + " is below " + MIN_KEEPALIVE);
      }
      return new RegistryConfig(this);
    }

    private static Duration positive(String name, Duration v) {
      if (v == null || v.isZero() || v.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive: " + v);
      }
      return v;
    }
  }
}
