package dev.vertice.gateway;

import dev.vertice.common.PeakEwma;
import dev.vertice.common.ZoneConfig;
import dev.vertice.gateway.balancer.Balancer;
import dev.vertice.gateway.resilience.ResilienceConfig;
import dev.vertice.gateway.routing.RouteRule;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code GatewayConfig} holds every setting of the gateway. Immutable and thread-safe; take
 * {@link #ofDefaults()}, or start a builder from the defaults with {@link #custom()} or from another
 * config with {@link #from(GatewayConfig)}. Every setter rejects a bad value at once with an
 * {@link IllegalArgumentException} reading {@code invalid <setting>: <value> ...}, the setting
 * named as its command-line flag.
 */
public final class GatewayConfig {
  /** Default address to listen on: all interfaces. */
  public static final String DEFAULT_HOST = "0.0.0.0";
  /** Default HTTP port. */
  public static final int DEFAULT_PORT = 8080;
  /** Default gRPC port. */
  public static final int DEFAULT_GRPC_PORT = 8081;
  /** Default load-balancing policy: least request (power of two choices). */
  public static final String DEFAULT_BALANCER = "least-request";
  /** Default longest request line: 8 KiB. */
  public static final int DEFAULT_MAX_INITIAL_LINE_BYTES = 8192;
  /** Default largest header block: 16 KiB. */
  public static final int DEFAULT_MAX_HEADER_BYTES = 16384;
  /** Default largest request body: 10 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 10L << 20;
  /** Default most client connections. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  /** Default most client connections from one client address: 1,000. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 1_000;
  /** Default time a started response may wait for the client to take more of it: 30 s. */
  public static final Duration DEFAULT_RESPONSE_WRITE_TIMEOUT = Duration.ofSeconds(30);
  /** Default most HTTP/2 streams per connection. */
  public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 128;
  /** Default most pooled connections per instance and event loop. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_INSTANCE = 64;
  /** Default time allowed to receive a request's headers: 10 s. */
  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
  /** Default time a connection closed after an error answer keeps reading (and dropping) what the client sends: 2 s. */
  public static final Duration DEFAULT_LINGERING_CLOSE = Duration.ofSeconds(2);
  /** Default idle timeout of keep-alive connections: 60 s. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
  /** Default time to wait for an upstream's response headers: 30 s. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  /** Default time to open an upstream connection: 2 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** Default time shutdown waits for requests in flight: 10 s. */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
  /** Whether TrafficPolicy resources are watched by default. */
  public static final boolean DEFAULT_WATCH_TRAFFIC_POLICIES = true;
  /** Default interval of per-version stats reports: 1 s. */
  public static final Duration DEFAULT_STATS_INTERVAL = Duration.ofSeconds(1);
  /** Default decay time constant of the per-instance latency estimates (peak EWMA): 10 s. */
  public static final Duration DEFAULT_PEAK_EWMA_DECAY = PeakEwma.DEFAULT_DECAY;

  private static final GatewayConfig DEFAULTS = custom().build();

  private final String host;
  private final int port;
  private final int grpcPort;
  private final String balancer;
  private final int maxInitialLineBytes;
  private final int maxHeaderBytes;
  private final long maxBodyBytes;
  private final int maxConnections;
  private final int maxConnectionsPerClient;
  private final Duration responseWriteTimeout;
  private final int maxConcurrentStreams;
  private final int maxConnectionsPerInstance;
  private final Duration headerTimeout;
  private final Duration lingeringClose;
  private final Duration idleTimeout;
  private final Duration requestTimeout;
  private final Duration connectTimeout;
  private final List<RouteRule> rules;
  private final ResilienceConfig resilience;
  private final Duration shutdownGrace;
  private final boolean watchTrafficPolicies;
  private final Duration statsInterval;
  private final ZoneConfig zone;
  private final Duration peakEwmaDecay;

  private GatewayConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.grpcPort = b.grpcPort;
    this.balancer = b.balancer;
    this.maxInitialLineBytes = b.maxInitialLineBytes;
    this.maxHeaderBytes = b.maxHeaderBytes;
    this.maxBodyBytes = b.maxBodyBytes;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerClient = b.maxConnectionsPerClient;
    this.responseWriteTimeout = b.responseWriteTimeout;
    this.maxConcurrentStreams = b.maxConcurrentStreams;
    this.maxConnectionsPerInstance = b.maxConnectionsPerInstance;
    this.headerTimeout = b.headerTimeout;
    this.lingeringClose = b.lingeringClose;
    this.idleTimeout = b.idleTimeout;
    this.requestTimeout = b.requestTimeout;
    this.connectTimeout = b.connectTimeout;
    this.rules = b.rules;
    this.resilience = b.resilience;
    this.shutdownGrace = b.shutdownGrace;
    this.watchTrafficPolicies = b.watchTrafficPolicies;
    this.statsInterval = b.statsInterval;
    this.zone = b.zone;
    this.peakEwmaDecay = b.peakEwmaDecay;
  }

  /** {@code ofDefaults} returns the defaults (the {@code DEFAULT_*} values, no routing rules). */
  public static GatewayConfig ofDefaults() {
    return DEFAULTS;
  }

  /** {@code custom} returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** {@code from} returns a builder starting from {@code base}. */
  public static Builder from(GatewayConfig base) {
    return new Builder(Objects.requireNonNull(base, "base"));
  }

  /** {@code host} is the address to listen on. */
  public String host() {
    return host;
  }

  /** {@code port} is the HTTP port (0: a free one). */
  public int port() {
    return port;
  }

  /** {@code grpcPort} is the gRPC port (0: a free one, -1: no gRPC proxy). */
  public int grpcPort() {
    return grpcPort;
  }

  /**
   * {@code balancer} is the load-balancing policy name ({@code least-request}, {@code round-robin}
   * or {@code peak-ewma}).
   */
  public String balancer() {
    return balancer;
  }

  /** {@code maxInitialLineBytes} is the longest request line (414 beyond). */
  public int maxInitialLineBytes() {
    return maxInitialLineBytes;
  }

  /** {@code maxHeaderBytes} is the largest request header block (431 beyond). */
  public int maxHeaderBytes() {
    return maxHeaderBytes;
  }

  /** {@code maxBodyBytes} is the largest request body (413 beyond). */
  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  /** {@code maxConnections} is the most client connections open at once (503 and close beyond). */
  public int maxConnections() {
    return maxConnections;
  }

  /**
   * {@code maxConnectionsPerClient} is the most client connections open at once from one client IP
   * address (503 and close beyond), so that one host cannot take every slot of {@link #maxConnections}.
   */
  public int maxConnectionsPerClient() {
    return maxConnectionsPerClient;
  }

  /**
   * {@code responseWriteTimeout} is how long a started response may wait for the client to take more
   * of it (its connection, or its HTTP/2 stream's flow-control window, stays full): beyond it the
   * connection is closed (HTTP/1) or the stream reset (HTTP/2) and the upstream connection let go.
   */
  public Duration responseWriteTimeout() {
    return responseWriteTimeout;
  }

  /** {@code maxConcurrentStreams} is the most concurrent HTTP/2 streams per connection (advertised; refused beyond). */
  public int maxConcurrentStreams() {
    return maxConcurrentStreams;
  }

  /** {@code maxConnectionsPerInstance} is the most pooled upstream connections per instance and event loop. */
  public int maxConnectionsPerInstance() {
    return maxConnectionsPerInstance;
  }

  /** {@code headerTimeout} is the time allowed to receive a request's headers once it started (408 beyond). */
  public Duration headerTimeout() {
    return headerTimeout;
  }

  /**
   * {@code lingeringClose} is how long an HTTP/1 connection the gateway closes after its answer (408,
   * 503, {@code connection: close}) keeps reading and dropping what the client still sends, its
   * output already shut: a client that was still writing then reads the answer and a clean end of
   * stream instead of a reset that can discard the answer.
   */
  public Duration lingeringClose() {
    return lingeringClose;
  }

  /**
   * {@code idleTimeout} is how long an idle keep-alive connection stays open, and a gRPC client
   * connection without a call.
   */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** {@code requestTimeout} is the default time to wait for an upstream's response headers (504 beyond). */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** {@code connectTimeout} is the time to open an upstream connection. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** {@code rules} is the host and path routing rules. */
  public List<RouteRule> rules() {
    return rules;
  }

  /** {@code resilience} is breakers, ejection and retries. */
  public ResilienceConfig resilience() {
    return resilience;
  }

  /** {@code shutdownGrace} is how long shutdown waits for requests in flight. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /** {@code watchTrafficPolicies} is whether TrafficPolicy resources (canary splits) are watched. */
  public boolean watchTrafficPolicies() {
    return watchTrafficPolicies;
  }

  /** {@code statsInterval} is how often per-version stats are sent to the control plane. */
  public Duration statsInterval() {
    return statsInterval;
  }

  /** {@code zone} is the zone-aware routing settings (the gateway's zone; none by default: off). */
  public ZoneConfig zone() {
    return zone;
  }

  /** {@code peakEwmaDecay} is the decay time constant of the per-instance latency estimates. */
  public Duration peakEwmaDecay() {
    return peakEwmaDecay;
  }

  private static void check(boolean ok, String setting, String problem) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + setting + ": " + problem);
    }
  }

  private static void positive(Duration d, String setting) {
    Objects.requireNonNull(d, setting);
    check(!d.isNegative() && !d.isZero(), setting, d + " is not positive");
  }

  /** {@code Builder} builds a {@link GatewayConfig}; every setter checks its value at once. */
  public static final class Builder {
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private int grpcPort = DEFAULT_GRPC_PORT;
    private String balancer = DEFAULT_BALANCER;
    private int maxInitialLineBytes = DEFAULT_MAX_INITIAL_LINE_BYTES;
    private int maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES;
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerClient = DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
    private Duration responseWriteTimeout = DEFAULT_RESPONSE_WRITE_TIMEOUT;
    private int maxConcurrentStreams = DEFAULT_MAX_CONCURRENT_STREAMS;
    private int maxConnectionsPerInstance = DEFAULT_MAX_CONNECTIONS_PER_INSTANCE;
    private Duration headerTimeout = DEFAULT_HEADER_TIMEOUT;
    private Duration lingeringClose = DEFAULT_LINGERING_CLOSE;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private List<RouteRule> rules = List.of();
    private ResilienceConfig resilience = ResilienceConfig.ofDefaults();
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private boolean watchTrafficPolicies = DEFAULT_WATCH_TRAFFIC_POLICIES;
    private Duration statsInterval = DEFAULT_STATS_INTERVAL;
    private ZoneConfig zone = ZoneConfig.ofDefaults();
    private Duration peakEwmaDecay = DEFAULT_PEAK_EWMA_DECAY;

    private Builder() {}

    private Builder(GatewayConfig c) {
      host = c.host;
      port = c.port;
      grpcPort = c.grpcPort;
      balancer = c.balancer;
      maxInitialLineBytes = c.maxInitialLineBytes;
      maxHeaderBytes = c.maxHeaderBytes;
      maxBodyBytes = c.maxBodyBytes;
      maxConnections = c.maxConnections;
      maxConnectionsPerClient = c.maxConnectionsPerClient;
      responseWriteTimeout = c.responseWriteTimeout;
      maxConcurrentStreams = c.maxConcurrentStreams;
      maxConnectionsPerInstance = c.maxConnectionsPerInstance;
      headerTimeout = c.headerTimeout;
      lingeringClose = c.lingeringClose;
      idleTimeout = c.idleTimeout;
      requestTimeout = c.requestTimeout;
      connectTimeout = c.connectTimeout;
      rules = c.rules;
      resilience = c.resilience;
      shutdownGrace = c.shutdownGrace;
      watchTrafficPolicies = c.watchTrafficPolicies;
      statsInterval = c.statsInterval;
      zone = c.zone;
      peakEwmaDecay = c.peakEwmaDecay;
    }

    /** {@code host} sets the address to listen on. */
    public Builder host(String v) {
      Objects.requireNonNull(v, "host");
      check(!v.isBlank(), "host", "'" + v + "' is empty");
      host = v;
      return this;
    }

    /** {@code port} sets the HTTP port (0: a free one). */
    public Builder port(int v) {
      check(v >= 0 && v <= 65535, "port", v + " is outside 0..65535");
      port = v;
      return this;
    }

    /** {@code grpcPort} sets the gRPC port (0: a free one, -1: none). */
    public Builder grpcPort(int v) {
      check(v >= -1 && v <= 65535, "grpc-port", v + " is outside -1..65535");
      grpcPort = v;
      return this;
    }

    /**
     * {@code balancer} sets the load-balancing policy: {@code least-request}, {@code round-robin} or
     * {@code peak-ewma}.
     */
    public Builder balancer(String v) {
      try {
        Balancer.of(v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid balancer: " + e.getMessage(), e);
      }
      balancer = v;
      return this;
    }

    /** {@code maxInitialLineBytes} sets the longest request line (at least 256). */
    public Builder maxInitialLineBytes(int v) {
      check(v >= 256, "max-initial-line-bytes", v + " is below 256");
      maxInitialLineBytes = v;
      return this;
    }

    /** {@code maxHeaderBytes} sets the largest header block (at least 1024). */
    public Builder maxHeaderBytes(int v) {
      check(v >= 1024, "max-header-bytes", v + " is below 1024");
      maxHeaderBytes = v;
      return this;
    }

    /** {@code maxBodyBytes} sets the largest request body (0 or more). */
    public Builder maxBodyBytes(long v) {
      check(v >= 0, "max-body-bytes", v + " is negative");
      maxBodyBytes = v;
      return this;
    }

    /** {@code maxConnections} sets the most client connections (at least 1). */
    public Builder maxConnections(int v) {
      check(v >= 1, "max-connections", v + " is below 1");
      maxConnections = v;
      return this;
    }

    /** {@code maxConnectionsPerClient} sets the most client connections from one IP address (at least 1). */
    public Builder maxConnectionsPerClient(int v) {
      check(v >= 1, "max-connections-per-client", v + " is below 1");
      maxConnectionsPerClient = v;
      return this;
    }

    /** {@code responseWriteTimeout} sets how long a started response may wait for the client to read (positive). */
    public Builder responseWriteTimeout(Duration v) {
      positive(v, "response-write-timeout");
      responseWriteTimeout = v;
      return this;
    }

    /** {@code maxConcurrentStreams} sets the most HTTP/2 streams per connection (at least 1). */
    public Builder maxConcurrentStreams(int v) {
      check(v >= 1, "max-concurrent-streams", v + " is below 1");
      maxConcurrentStreams = v;
      return this;
    }

    /**
     * {@code maxConnectionsPerInstance} sets the most pooled upstream connections per instance and
     * event loop (at least 1).
     */
    public Builder maxConnectionsPerInstance(int v) {
      check(v >= 1, "max-connections-per-instance", v + " is below 1");
      maxConnectionsPerInstance = v;
      return this;
    }

    /** {@code headerTimeout} sets the time allowed to receive a request's headers (positive). */
    public Builder headerTimeout(Duration v) {
      positive(v, "header-timeout");
      headerTimeout = v;
      return this;
    }

    /** {@code lingeringClose} sets how long a closing connection keeps dropping what the client sends (positive). */
    public Builder lingeringClose(Duration v) {
      positive(v, "lingering-close");
      lingeringClose = v;
      return this;
    }

    /** {@code idleTimeout} sets when idle keep-alive connections close (positive). */
    public Builder idleTimeout(Duration v) {
      positive(v, "idle-timeout");
      idleTimeout = v;
      return this;
    }

    /** {@code requestTimeout} sets the default time to wait for an upstream's response headers (positive). */
    public Builder requestTimeout(Duration v) {
      positive(v, "request-timeout");
      requestTimeout = v;
      return this;
    }

    /** {@code connectTimeout} sets the time to open an upstream connection (positive). */
    public Builder connectTimeout(Duration v) {
      positive(v, "connect-timeout");
      connectTimeout = v;
      return this;
    }

    /** {@code rules} sets the host and path routing rules (copied). */
    public Builder rules(List<RouteRule> v) {
      v = List.copyOf(v);
      rules = v;
      return this;
    }

    /** {@code resilience} sets breakers, ejection and retries. */
    public Builder resilience(ResilienceConfig v) {
      Objects.requireNonNull(v, "resilience");
      resilience = v;
      return this;
    }

    /** {@code shutdownGrace} sets how long shutdown waits for requests in flight (positive). */
    public Builder shutdownGrace(Duration v) {
      positive(v, "shutdown-grace");
      shutdownGrace = v;
      return this;
    }

    /** {@code watchTrafficPolicies} sets whether TrafficPolicy resources are watched. */
    public Builder watchTrafficPolicies(boolean v) {
      watchTrafficPolicies = v;
      return this;
    }

    /** {@code statsInterval} sets how often stats are reported (positive). */
    public Builder statsInterval(Duration v) {
      positive(v, "stats-interval");
      statsInterval = v;
      return this;
    }

    /** {@code zone} sets the zone-aware routing settings (a zone turns it on). */
    public Builder zone(ZoneConfig v) {
      Objects.requireNonNull(v, "zone");
      zone = v;
      return this;
    }

    /** {@code peakEwmaDecay} sets the decay time constant of the latency estimates (positive). */
    public Builder peakEwmaDecay(Duration v) {
      positive(v, "peak-ewma-decay");
      peakEwmaDecay = v;
      return this;
    }

    /** {@code build} returns the config (every value was checked when set). */
    public GatewayConfig build() {
      return new GatewayConfig(this);
    }
  }
}
