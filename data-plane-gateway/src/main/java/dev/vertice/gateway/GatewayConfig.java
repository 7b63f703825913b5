package dev.vertice.gateway;

import dev.vertice.gateway.balancer.Balancer;
import dev.vertice.gateway.resilience.ResilienceConfig;
import dev.vertice.gateway.routing.RouteRule;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code GatewayConfig} holds every setting of the gateway. Immutable; {@link #custom()} starts a
 * builder from the defaults, whose setters reject bad values with a message naming the setting.
 *
 * @param host address to listen on
 * @param port HTTP port (0: a free one)
 * @param grpcPort gRPC port (0: a free one, -1: no gRPC proxy)
 * @param balancer load-balancing policy name ({@code least-request} or {@code round-robin})
 * @param maxInitialLineBytes longest request line (414 beyond)
 * @param maxHeaderBytes largest request header block (431 beyond)
 * @param maxBodyBytes largest request body (413 beyond)
 * @param maxConnections most client connections open at once (503 and close beyond)
 * @param maxConcurrentStreams most concurrent HTTP/2 streams per connection (advertised; refused beyond)
 * @param maxConnectionsPerInstance most pooled upstream connections per instance and event loop
 * @param headerTimeout time allowed to receive a request's headers once it started (408 beyond)
 * @param idleTimeout an idle keep-alive connection is closed after this
 * @param requestTimeout default time to wait for an upstream's response headers (504 beyond)
 * @param connectTimeout time to open an upstream connection
 * @param rules host and path routing rules
 * @param resilience breakers, ejection and retries
 * @param shutdownGrace how long shutdown waits for requests in flight
 * @param watchTrafficPolicies whether to watch TrafficPolicy resources (canary splits)
 * @param statsInterval how often per-version stats are sent to the control plane
 */
public record GatewayConfig(
    String host, int port, int grpcPort, String balancer,
    int maxInitialLineBytes, int maxHeaderBytes, long maxBodyBytes, int maxConnections, int maxConcurrentStreams,
    int maxConnectionsPerInstance, Duration headerTimeout, Duration idleTimeout, Duration requestTimeout,
    Duration connectTimeout, List<RouteRule> rules, ResilienceConfig resilience, Duration shutdownGrace,
    boolean watchTrafficPolicies, Duration statsInterval) {

  /** Default HTTP port. */
  public static final int DEFAULT_PORT = 8080;
  /** Default gRPC port. */
  public static final int DEFAULT_GRPC_PORT = 8081;
  /** Default longest request line: 8 KiB. */
  public static final int DEFAULT_MAX_INITIAL_LINE_BYTES = 8192;
  /** Default largest header block: 16 KiB. */
  public static final int DEFAULT_MAX_HEADER_BYTES = 16384;
  /** Default largest request body: 10 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = 10L << 20;
  /** Default most client connections. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  /** Default most HTTP/2 streams per connection. */
  public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 128;
  /** Default most pooled connections per instance and event loop. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_INSTANCE = 64;

  /** {@code GatewayConfig} validates every setting. */
  public GatewayConfig {
    Objects.requireNonNull(host, "host");
    check(!host.isBlank(), "host", "'" + host + "' is empty");
    check(port >= 0 && port <= 65535, "port", port + " is outside 0..65535");
    check(grpcPort >= -1 && grpcPort <= 65535, "grpc-port", grpcPort + " is outside -1..65535");
    try {
      Balancer.of(balancer);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid balancer: " + e.getMessage(), e);
    }
    check(maxInitialLineBytes >= 256, "max-initial-line-bytes", maxInitialLineBytes + " is below 256");
    check(maxHeaderBytes >= 1024, "max-header-bytes", maxHeaderBytes + " is below 1024");
    check(maxBodyBytes >= 0, "max-body-bytes", maxBodyBytes + " is negative");
    check(maxConnections >= 1, "max-connections", maxConnections + " is below 1");
    check(maxConcurrentStreams >= 1, "max-concurrent-streams", maxConcurrentStreams + " is below 1");
    check(maxConnectionsPerInstance >= 1, "max-connections-per-instance", maxConnectionsPerInstance + " is below 1");
    positive(headerTimeout, "header-timeout");
    positive(idleTimeout, "idle-timeout");
    positive(requestTimeout, "request-timeout");
    positive(connectTimeout, "connect-timeout");
    positive(shutdownGrace, "shutdown-grace");
    positive(statsInterval, "stats-interval");
    rules = List.copyOf(rules);
    Objects.requireNonNull(resilience, "resilience");
  }

  private static final GatewayConfig DEFAULTS = new GatewayConfig("0.0.0.0", DEFAULT_PORT, DEFAULT_GRPC_PORT,
      "least-request", DEFAULT_MAX_INITIAL_LINE_BYTES, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_BODY_BYTES,
      DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_CONNECTIONS_PER_INSTANCE,
      Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(2), List.of(),
      ResilienceConfig.ofDefaults(), Duration.ofSeconds(10), true, Duration.ofSeconds(1));

  /** {@code ofDefaults} returns the defaults. */
  public static GatewayConfig ofDefaults() {
    return DEFAULTS;
  }

  /** {@code custom} returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder(DEFAULTS);
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

  /** {@code Builder} builds a {@link GatewayConfig}; {@link #build()} validates. */
  public static final class Builder {
    private String host;
    private int port;
    private int grpcPort;
    private String balancer;
    private int maxInitialLineBytes;
    private int maxHeaderBytes;
    private long maxBodyBytes;
    private int maxConnections;
    private int maxConcurrentStreams;
    private int maxConnectionsPerInstance;
    private Duration headerTimeout;
    private Duration idleTimeout;
    private Duration requestTimeout;
    private Duration connectTimeout;
    private List<RouteRule> rules;
    private ResilienceConfig resilience;
    private Duration shutdownGrace;
    private boolean watchTrafficPolicies;
    private Duration statsInterval;

    private Builder(GatewayConfig c) {
      host = c.host;
      port = c.port;
      grpcPort = c.grpcPort;
      balancer = c.balancer;
      maxInitialLineBytes = c.maxInitialLineBytes;
      maxHeaderBytes = c.maxHeaderBytes;
      maxBodyBytes = c.maxBodyBytes;
      maxConnections = c.maxConnections;
      maxConcurrentStreams = c.maxConcurrentStreams;
      maxConnectionsPerInstance = c.maxConnectionsPerInstance;
      headerTimeout = c.headerTimeout;
      idleTimeout = c.idleTimeout;
      requestTimeout = c.requestTimeout;
      connectTimeout = c.connectTimeout;
      rules = c.rules;
      resilience = c.resilience;
      shutdownGrace = c.shutdownGrace;
      watchTrafficPolicies = c.watchTrafficPolicies;
      statsInterval = c.statsInterval;
    }

    /** {@code host} sets the address to listen on. */
    public Builder host(String v) {
      host = v;
      return this;
    }

    /** {@code port} sets the HTTP port (0: a free one). */
    public Builder port(int v) {
      port = v;
      return this;
    }

    /** {@code grpcPort} sets the gRPC port (0: a free one, -1: none). */
    public Builder grpcPort(int v) {
      grpcPort = v;
      return this;
    }

    /** {@code balancer} sets the load-balancing policy: {@code least-request} or {@code round-robin}. */
    public Builder balancer(String v) {
      balancer = v;
      return this;
    }

    /** {@code maxInitialLineBytes} sets the longest request line. */
    public Builder maxInitialLineBytes(int v) {
      maxInitialLineBytes = v;
      return this;
    }

    /** {@code maxHeaderBytes} sets the largest header block. */
    public Builder maxHeaderBytes(int v) {
      maxHeaderBytes = v;
      return this;
    }

    /** {@code maxBodyBytes} sets the largest request body. */
    public Builder maxBodyBytes(long v) {
      maxBodyBytes = v;
      return this;
    }

    /** {@code maxConnections} sets the most client connections. */
    public Builder maxConnections(int v) {
      maxConnections = v;
      return this;
    }

    /** {@code maxConcurrentStreams} sets the most HTTP/2 streams per connection. */
    public Builder maxConcurrentStreams(int v) {
      maxConcurrentStreams = v;
      return this;
    }

    /** {@code maxConnectionsPerInstance} sets the most pooled upstream connections per instance and event loop. */
    public Builder maxConnectionsPerInstance(int v) {
      maxConnectionsPerInstance = v;
      return this;
    }

    /** {@code headerTimeout} sets the time allowed to receive a request's headers. */
    public Builder headerTimeout(Duration v) {
      headerTimeout = v;
      return this;
    }

    /** {@code idleTimeout} sets when idle keep-alive connections close. */
    public Builder idleTimeout(Duration v) {
      idleTimeout = v;
      return this;
    }

    /** {@code requestTimeout} sets the default time to wait for an upstream's response headers. */
    public Builder requestTimeout(Duration v) {
      requestTimeout = v;
      return this;
    }

    /** {@code connectTimeout} sets the time to open an upstream connection. */
    public Builder connectTimeout(Duration v) {
      connectTimeout = v;
      return this;
    }

    /** {@code rules} sets the host and path routing rules. */
    public Builder rules(List<RouteRule> v) {
      rules = v;
      return this;
    }

    /** {@code resilience} sets breakers, ejection and retries. */
    public Builder resilience(ResilienceConfig v) {
      resilience = v;
      return this;
    }

    /** {@code shutdownGrace} sets how long shutdown waits for requests in flight. */
    public Builder shutdownGrace(Duration v) {
      shutdownGrace = v;
      return this;
    }

    /** {@code watchTrafficPolicies} sets whether TrafficPolicy resources are watched. */
    public Builder watchTrafficPolicies(boolean v) {
      watchTrafficPolicies = v;
      return this;
    }

    /** {@code statsInterval} sets how often stats are reported. */
    public Builder statsInterval(Duration v) {
      statsInterval = v;
      return this;
    }

    /**
     * {@code build} returns the config.
     *
     * @throws IllegalArgumentException naming the first invalid setting and its value
     */
    public GatewayConfig build() {
      return new GatewayConfig(host, port, grpcPort, balancer, maxInitialLineBytes, maxHeaderBytes, maxBodyBytes,
          maxConnections, maxConcurrentStreams, maxConnectionsPerInstance, headerTimeout, idleTimeout,
          requestTimeout, connectTimeout, rules, resilience, shutdownGrace, watchTrafficPolicies, statsInterval);
    }
  }
}
