package dev.vertice.demo;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code DemoConfig} describes one demo service instance: who it says it is and how it misbehaves.
 * Immutable and thread-safe; take {@link #ofDefaults()}, or start a builder from the defaults with
 * {@link #custom()} or from another config with {@link #from(DemoConfig)}. Every setter rejects a
 * bad value at once with an {@link IllegalArgumentException} naming the setting and quoting the value.
 */
public final class DemoConfig {

  /** Default service name: {@code test-service}. */
  public static final String DEFAULT_SERVICE = "test-service";
  /** Default address to listen on: loopback. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** Default port: 0, a free one. */
  public static final int DEFAULT_PORT = 0;
  /** Default version label: {@code v1}. */
  public static final String DEFAULT_VERSION = "v1";
  /** Default latency added to every echo: none. */
  public static final Duration DEFAULT_LATENCY = Duration.ZERO;
  /** Default fraction of echoes that fail: none. */
  public static final double DEFAULT_ERROR_RATE = 0;
  /** Default seed of the random source that picks the failing requests. */
  public static final long DEFAULT_SEED = 1;
  /** Longest latency accepted: 60 s. */
  public static final Duration MAX_LATENCY = Duration.ofSeconds(60);

  private static final DemoConfig DEFAULTS = custom().build();

  private final String service;
  private final String instanceId;
  private final String host;
  private final int port;
  private final String version;
  private final Duration latency;
  private final double errorRate;
  private final long seed;

  private DemoConfig(Builder b) {
    this.service = b.service;
    this.instanceId = b.instanceId != null ? b.instanceId : b.service + "-1";
    this.host = b.host;
    this.port = b.port;
    this.version = b.version;
    this.latency = b.latency;
    this.errorRate = b.errorRate;
    this.seed = b.seed;
  }

  /**
   * {@code ofDefaults} returns a well-behaved instance of {@code test-service} (instance
   * {@code test-service-1}) on a free loopback port, version v1.
   */
  public static DemoConfig ofDefaults() {
    return DEFAULTS;
  }

  /** {@code custom} returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** {@code from} returns a builder starting from {@code base} (its instance id included). */
  public static Builder from(DemoConfig base) {
    return new Builder(Objects.requireNonNull(base, "base"));
  }

  /** {@code service} is the service name it reports (any text; it is not validated as a registry name). */
  public String service() {
    return service;
  }

  /** {@code instanceId} is the instance id it reports. */
  public String instanceId() {
    return instanceId;
  }

  /** {@code host} is the address to listen on. */
  public String host() {
    return host;
  }

  /** {@code port} is the TCP port; 0 picks a free one. */
  public int port() {
    return port;
  }

  /** {@code version} is the version label it reports (e.g. {@code v1}). */
  public String version() {
    return version;
  }

  /** {@code latency} is the delay added to every echo (not to /health or admin calls); zero for none. */
  public Duration latency() {
    return latency;
  }

  /** {@code errorRate} is the fraction of echoes answered with an error, 0..1. */
  public double errorRate() {
    return errorRate;
  }

  /** {@code seed} is the seed of the random source that picks the failing requests. */
  public long seed() {
    return seed;
  }

  @Override
  public String toString() {
    return "DemoConfig[service=" + service + ", instanceId=" + instanceId + ", host=" + host + ", port=" + port
        + ", version=" + version + ", latency=" + latency + ", errorRate=" + errorRate + ", seed=" + seed + "]";
  }

  private static String requireText(String name, String v) {
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(name + " must not be empty: '" + v + "'");
    }
    return v;
  }

  /** {@code Builder} builds a {@link DemoConfig}; every setter checks its value at once. */
  public static final class Builder {
    private String service = DEFAULT_SERVICE;
    /** Null until set: the instance id is then {@code <service>-1}. */
    private String instanceId;
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private String version = DEFAULT_VERSION;
    private Duration latency = DEFAULT_LATENCY;
    private double errorRate = DEFAULT_ERROR_RATE;
    private long seed = DEFAULT_SEED;

    private Builder() {}

    private Builder(DemoConfig c) {
      service = c.service;
      instanceId = c.instanceId;
      host = c.host;
      port = c.port;
      version = c.version;
      latency = c.latency;
      errorRate = c.errorRate;
      seed = c.seed;
    }

    /** {@code service} sets the service name it reports (not empty; default {@code test-service}). */
    public Builder service(String v) {
      service = requireText("service", v);
      return this;
    }

    /** {@code instanceId} sets the instance id it reports (not empty; default {@code <service>-1}). */
    public Builder instanceId(String v) {
      instanceId = requireText("instanceId", v);
      return this;
    }

    /** {@code host} sets the address to listen on (not empty; default loopback). */
    public Builder host(String v) {
      host = requireText("host", v);
      return this;
    }

    /** {@code port} sets the TCP port, 0..65535 (0, the default, picks a free one). */
    public Builder port(int v) {
      if (v < 0 || v > 65535) {
        throw new IllegalArgumentException("port " + v + " is outside 0..65535");
      }
      port = v;
      return this;
    }

    /** {@code version} sets the version label it reports (not empty; default {@code v1}). */
    public Builder version(String v) {
      version = requireText("version", v);
      return this;
    }

    /** {@code latency} sets the delay added to every echo, 0..{@link #MAX_LATENCY} (default none). */
    public Builder latency(Duration v) {
      Objects.requireNonNull(v, "latency");
      if (v.isNegative() || v.compareTo(MAX_LATENCY) > 0) {
        throw new IllegalArgumentException("latency " + v + " is outside 0.." + MAX_LATENCY);
      }
      latency = v;
      return this;
    }

    /** {@code errorRate} sets the fraction of echoes answered with an error, 0..1 (default 0). */
    public Builder errorRate(double v) {
      if (!(v >= 0 && v <= 1)) {
        throw new IllegalArgumentException("errorRate " + v + " is outside 0..1");
      }
      errorRate = v;
      return this;
    }

    /** {@code seed} sets the seed of the random source that picks the failing requests (default 1). */
    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** {@code build} returns the config (every value was checked when set). */
    public DemoConfig build() {
      return new DemoConfig(this);
    }
  }
}
