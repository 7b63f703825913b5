package dev.vertice.gateway;

import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.TrafficPolicySnapshot;
import dev.vertice.client.WatchClient;
import dev.vertice.common.Ticker;
import dev.vertice.gateway.admin.AdminRoutes;
import dev.vertice.gateway.admin.BuiltinRoutes;
import dev.vertice.gateway.balancer.Balancer;
import dev.vertice.gateway.balancer.EndpointKey;
import dev.vertice.gateway.balancer.ZoneAwareBalancer;
import dev.vertice.gateway.health.HealthCheckConfig;
import dev.vertice.gateway.health.HealthCheckRoute;
import dev.vertice.gateway.health.HealthCheckService;
import dev.vertice.gateway.health.HealthReport;
import dev.vertice.gateway.metrics.GatewayMetrics;
import dev.vertice.gateway.proxy.HttpProxyServer;
import dev.vertice.gateway.proxy.ProxyObserver;
import dev.vertice.gateway.proxy.StatsSink;
import dev.vertice.gateway.resilience.Guards;
import dev.vertice.gateway.routing.Router;
import dev.vertice.gateway.routing.RoutingState;
import dev.vertice.observability.AdminServer;
import dev.vertice.security.tls.ReloadingTls;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * {@code Gateway} is the data-plane gateway: it watches the control plane (every service's
 * Endpoints and, when enabled, TrafficPolicy), keeps an immutable routing table built from the
 * pushes, and proxies HTTP (and gRPC, see {@link dev.vertice.gateway.grpc.GrpcProxyServer}) from it.
 * Nothing on the request path asks the control plane: when it is unreachable, routing continues
 * from the last snapshot and {@link #statusJson()} says how stale that is.
 *
 * <p>Extra gateway-local endpoints are mounted on {@link #adminRoutes()} (paths under {@code
 * /gateway/}, served on the public HTTP listener). The routing table and status pages ({@link
 * #routesJson()}, {@link #statusJson()}) name every instance, so they are served there only when
 * {@link Builder#exposeStatusPages(boolean)} says so; otherwise an operator mounts them on an admin
 * port. For the same reason {@code GET /gateway/health-check/{service}} answers the public listener
 * with the service's aggregate status only; {@link #healthCheckAdminRoute()} gives the per-instance
 * answer to an admin port.
 */
public final class Gateway implements AutoCloseable {

  private static final Logger log = Logger.getLogger(Gateway.class.getName());

  private final GatewayConfig config;
  private final RoutingState state;
  private final Router router;
  private final AdminRoutes admin = new AdminRoutes();
  private final EventLoopGroup group;
  private final boolean ownsGroup;
  private final WatchClient watch;
  private final boolean ownsWatch;
  private final HttpProxyServer http;
  private final dev.vertice.gateway.grpc.GrpcProxyServer grpc;
  private final HealthCheckService health;
  private final Duration healthCheckWait;
  private final GatewayMetrics metrics;
  private final BuiltinRoutes.Counters counters;
  /** The control-plane addresses as given (null with a ready-made watch client or none), for status texts. */
  private final String controlPlaneAddresses;

  private Gateway(Builder b) throws InterruptedException {
    this.config = b.config;
    this.controlPlaneAddresses = b.watch == null ? b.controlPlane : null;
    this.metrics = b.meters == null ? null : new GatewayMetrics(b.meters);
    GatewayMetrics m = metrics;
    ProxyObserver observer = m == null ? ProxyObserver.NONE : m;
    Balancer balancer = ZoneAwareBalancer.wrap(Balancer.of(config.balancer()), config.zone(),
        m == null ? ZoneAwareBalancer.ZoneObserver.NONE : m.zoneObserver());
    this.state = new RoutingState(balancer, m == null ? new Guards(config.resilience(), b.ticker)
        : new Guards(config.resilience(), b.ticker, m::serviceBreaker), config.peakEwmaDecay());
    this.router = new Router(state);
    this.ownsGroup = b.group == null;
    this.group = ownsGroup ? dev.vertice.gateway.proxy.Transports.newGroup(b.threads) : b.group;
    HttpProxyServer h = null;
    dev.vertice.gateway.grpc.GrpcProxyServer g = null;
    WatchClient w = null;
    boolean ownsW = false;
    try {
      h = new HttpProxyServer(config, group, router, admin, b.stats, observer, b.tracing, b.tls);
      if (config.grpcPort() >= 0) {
        g = new dev.vertice.gateway.grpc.GrpcProxyServer(config, group, router, b.stats, observer, b.tracing, b.tls);
      }
      if (b.watch != null) {
        w = b.watch;
      } else if (b.controlPlane != null) {
        WatchClient.Builder wb = WatchClient.builder().controlPlane(b.controlPlane).nodeId(b.nodeId)
            .nodeKind("gateway").ticker(b.ticker).watchTrafficPolicies(config.watchTrafficPolicies())
            // In the first request: readiness (routesReady) must wait for the answer to it. Subscribed
            // after build, a stream established first would count as in sync with an empty table.
            .subscribeAll(true)
            .interceptors(b.tracing.clientInterceptors());
        if (b.controlPlaneCredentials != null) {
          wb.channelCredentials(b.controlPlaneCredentials);
        }
        if (b.controlPlaneCallCredentials != null) {
          wb.callCredentials(b.controlPlaneCallCredentials);
        }
        w = wb.build();
        ownsW = true;
      }
    } catch (RuntimeException | InterruptedException e) {
      if (h != null) {
        h.close();
      }
      if (g != null) {
        g.close();
      }
      if (ownsGroup) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
      throw e;
    }
    this.http = h;
    this.grpc = g;
    this.watch = w;
    this.ownsWatch = ownsW;
    HttpProxyServer proxy = h;
    dev.vertice.gateway.grpc.GrpcProxyServer grpcProxy = g;
    this.counters = new BuiltinRoutes.Counters() {
      @Override
      public int inFlight() {
        return proxy.inFlight() + (grpcProxy == null ? 0 : grpcProxy.inFlight());
      }

      @Override
      public int connections() {
        return proxy.connections();
      }

      @Override
      public long requests() {
        return proxy.requests() + (grpcProxy == null ? 0 : grpcProxy.calls());
      }

      @Override
      public long retries() {
        return proxy.retries();
      }
    };
    if (b.exposeStatusPages) {
      BuiltinRoutes.register(admin, state, watch, () -> counters);
    }
    state.onInstancesRemoved(gone -> {
      proxy.removePools(gone);
      if (grpcProxy != null) {
        grpcProxy.remove(gone);
      }
    });
    // GET /gateway/health-check/{service}: probes the instances of the same snapshot routing reads.
    HealthCheckService.Builder hb = HealthCheckService.builder().config(b.healthCheck).ticker(b.ticker);
    if (b.meters != null) {
      hb.meterRegistry(b.meters);
    }
    this.health = watch == null ? null : hb.instances(watch::get).build();
    if (health != null) {
      // Instance ids and addresses stay off the public listener unless status pages are exposed there.
      admin.register(HealthCheckRoute.PATH, new HealthCheckRoute(health,
          b.exposeStatusPages ? HealthCheckRoute.View.DETAIL : HealthCheckRoute.View.SUMMARY));
    }
    // A check answers within its deadline plus a Redis round trip; the admin route waits a little longer.
    this.healthCheckWait = b.healthCheck.checkTimeout().plus(b.healthCheck.redisTimeout()).plusSeconds(1);
    if (watch != null) {
      watch.addListener(state);
      watch.subscribeAll();
    }
  }

  /** {@code builder} returns a builder for a gateway with {@code config}. */
  public static Builder builder(GatewayConfig config) {
    return new Builder(config);
  }

  /** {@code port} returns the bound HTTP port. */
  public int port() {
    return http.port();
  }

  /** {@code grpcPort} returns the bound gRPC port, or -1 without a gRPC proxy. */
  public int grpcPort() {
    return grpc == null ? -1 : grpc.port();
  }

  /** {@code config} returns the configuration. */
  public GatewayConfig config() {
    return config;
  }

  /** {@code routingState} returns the routing state (the listener that builds tables from pushes). */
  public RoutingState routingState() {
    return state;
  }

  /** {@code router} returns the routing decision. */
  public Router router() {
    return router;
  }

  /** {@code adminRoutes} returns the registry of gateway-local endpoints, to mount extra ones. */
  public AdminRoutes adminRoutes() {
    return admin;
  }

  /**
   * {@code routesJson} renders the routing table now (every service, version and instance address),
   * the body of {@code GET /gateway/routes}.
   */
  public String routesJson() {
    return BuiltinRoutes.routesJson(state.table());
  }

  /**
   * {@code statusJson} renders the gateway's status now (snapshot generation, staleness,
   * control-plane connection, traffic counters), the body of {@code GET /gateway/status}.
   */
  public String statusJson() {
    return BuiltinRoutes.statusJson(state.table(), watch, counters);
  }

  /**
   * {@code routesReady} returns whether the routing table holds every snapshot the watch client
   * holds, and the client is in sync: the first pushed state has been applied to routing, not only
   * received (the listener that builds tables runs on its own thread). Always true without a control
   * plane. A readiness probe latches the first true: from then on the gateway routes, control plane
   * or not.
   */
  public boolean routesReady() {
    if (watch == null) {
      return true;
    }
    if (!watch.isSyncedAndApplied()) { // not isSynced: it turns true before the last answer is in the cache
      return false;
    }
    for (ServiceSnapshot s : watch.snapshots().values()) {
      ServiceSnapshot held = state.endpointsSnapshot(s.service());
      if (held == null || !held.version().equals(s.version())) {
        return false;
      }
    }
    for (TrafficPolicySnapshot p : watch.policies().values()) {
      TrafficPolicySnapshot held = state.policySnapshot(p.service());
      if (held == null || !held.version().equals(p.version())) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code notReadyReason} says why {@link #routesReady()} is false, in words for a readiness probe
   * and the log (the control plane not reachable yet, reached but no snapshot yet, or the first
   * snapshot not yet applied), or returns null when it is true.
   */
  public String notReadyReason() {
    if (routesReady()) {
      return null;
    }
    String cp = "the control plane" + (controlPlaneAddresses == null ? "" : " at " + controlPlaneAddresses);
    if (!watch.isConnected()) {
      return "no routing snapshot yet: " + cp + " is not reachable (retrying); routes are served once it answers";
    }
    if (!watch.isSyncedAndApplied()) {
      return "connected to " + watch.connectedTo().orElse(cp) + ", waiting for its first routing snapshot";
    }
    return "applying the first routing snapshot";
  }

  /** {@code watchClient} returns the watch client feeding the routing state, or null without a control plane. */
  public WatchClient watchClient() {
    return watch;
  }

  /** {@code healthCheck} returns the health-check service behind {@code /gateway/health-check/}, or null without a control plane. */
  public HealthCheckService healthCheck() {
    return health;
  }

  /**
   * {@code healthCheckAdminRoute} answers {@code GET /gateway/health-check/{service}} for an admin
   * port ({@code AdminServer.route(HealthCheckRoute.PATH, gateway.healthCheckAdminRoute())}) with
   * every probed instance: ids, addresses, ports, versions, probe results. The public listener
   * answers the same path with the aggregate status alone (unless {@link
   * Builder#exposeStatusPages(boolean)}). Blocks the admin thread for at most the check timeout plus
   * the Redis timeout plus one second (then 503); probes are rate limited as on the public route.
   */
  public AdminServer.Route healthCheckAdminRoute() {
    HealthCheckRoute detail = health == null ? null : new HealthCheckRoute(health, HealthCheckRoute.View.DETAIL);
    return path -> {
      if (detail == null) {
        return AdminServer.Response.json(404, "{\"error\":\"no health checks: the gateway has no control plane\"}");
      }
      String name = path.startsWith(HealthCheckRoute.PATH) ? path.substring(HealthCheckRoute.PATH.length()) : "";
      if (name.isEmpty() || name.indexOf('/') >= 0) {
        return AdminServer.Response.json(name.isEmpty() ? 400 : 404, "{\"error\":"
            + dev.vertice.common.JsonStrings.quote(name.isEmpty() ? "a service name is required: GET "
                + HealthCheckRoute.PATH + "{service}" : "no such path: " + path) + "}");
      }
      try {
        HealthReport r = health.check(name).get(healthCheckWait.toMillis(), TimeUnit.MILLISECONDS);
        return AdminServer.Response.json(r.httpStatus(), detail.body(r, null));
      } catch (TimeoutException e) {
        return AdminServer.Response.json(503, "{\"error\":\"the health check did not answer within "
            + healthCheckWait.toMillis() + " ms\"}");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return AdminServer.Response.json(503, "{\"error\":\"interrupted\"}");
      } catch (ExecutionException e) {
        // check() never fails; were it to, the cause goes to the log, not into the answer.
        log.log(java.util.logging.Level.WARNING, "health check of " + name + " failed", e.getCause());
        return AdminServer.Response.json(500, "{\"error\":\"internal error\"}");
      }
    };
  }

  /** {@code metrics} returns the gateway's meters, or null without a {@link Builder#meterRegistry meter registry}. */
  public GatewayMetrics metrics() {
    return metrics;
  }

  /** {@code eventLoops} returns the event loops the proxy runs on (to share with extra routes' clients). */
  public EventLoopGroup eventLoops() {
    return group;
  }

  /** {@code httpProxy} returns the HTTP listener. */
  public HttpProxyServer httpProxy() {
    return http;
  }

  /** {@code grpcProxy} returns the gRPC listener, or null. */
  public dev.vertice.gateway.grpc.GrpcProxyServer grpcProxy() {
    return grpc;
  }

  /**
   * {@code shutdown} stops accepting connections, lets requests in flight finish for up to {@code
   * grace}, then closes everything. Returns whether every request finished in time.
   */
  public boolean shutdown(Duration grace) throws InterruptedException {
    long deadline = System.nanoTime() + grace.toNanos();
    boolean drained = http.drain(grace);
    if (grpc != null) {
      drained &= grpc.drain(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }
    close();
    return drained;
  }

  @Override
  public void close() {
    if (ownsWatch && watch != null) {
      watch.close();
    } else if (watch != null) {
      watch.removeListener(state);
    }
    http.close();
    if (grpc != null) {
      grpc.close();
    }
    if (health != null) {
      health.close();
    }
    if (ownsGroup) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
    log.fine("gateway closed");
  }

  /** {@code Builder} configures a {@link Gateway}. */
  public static final class Builder {
    private final GatewayConfig config;
    private String controlPlane;
    private WatchClient watch;
    private Ticker ticker = Ticker.system();
    private StatsSink stats = StatsSink.NONE;
    private EventLoopGroup group;
    private int threads = 0;
    private String nodeId = "gateway-" + ProcessHandle.current().pid();
    private HealthCheckConfig healthCheck = HealthCheckConfig.ofDefaults();
    private MeterRegistry meters;
    private dev.vertice.observability.Tracing tracing = dev.vertice.observability.Tracing.off();
    private ReloadingTls tls;
    private ChannelCredentials controlPlaneCredentials;
    private CallCredentials controlPlaneCallCredentials;
    private boolean exposeStatusPages;

    private Builder(GatewayConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** {@code controlPlane} sets the control-plane addresses ({@code host:port}, comma-separated) to watch. */
    public Builder controlPlane(String addresses) {
      this.controlPlane = Objects.requireNonNull(addresses, "addresses");
      return this;
    }

    /** {@code watchClient} uses a ready-made watch client (not closed by the gateway) instead of addresses. */
    public Builder watchClient(WatchClient v) {
      this.watch = Objects.requireNonNull(v, "watch");
      return this;
    }

    /** {@code ticker} sets the time source of breakers, ejection, budgets and staleness. */
    public Builder ticker(Ticker v) {
      this.ticker = Objects.requireNonNull(v, "ticker");
      return this;
    }

    /** {@code stats} sets where per-request outcomes go (default: nowhere). */
    public Builder stats(StatsSink v) {
      this.stats = Objects.requireNonNull(v, "stats");
      return this;
    }

    /** {@code eventLoops} runs on {@code group} (not shut down by the gateway) instead of an own one. */
    public Builder eventLoops(EventLoopGroup v) {
      this.group = Objects.requireNonNull(v, "group");
      return this;
    }

    /** {@code threads} sets the number of event-loop threads of an own group (0: Netty's default). */
    public Builder threads(int v) {
      if (v < 0) {
        throw new IllegalArgumentException("threads must not be negative: " + v);
      }
      this.threads = v;
      return this;
    }

    /** {@code healthCheck} configures {@code /gateway/health-check/} (default {@link HealthCheckConfig#ofDefaults()}: no Redis). */
    public Builder healthCheck(HealthCheckConfig v) {
      this.healthCheck = Objects.requireNonNull(v, "healthCheck");
      return this;
    }

    /**
     * {@code meterRegistry} exports the gateway's metrics ({@link GatewayMetrics}) and the
     * health-check metrics into {@code v} (default: none).
     */
    public Builder meterRegistry(MeterRegistry v) {
      this.meters = Objects.requireNonNull(v, "meterRegistry");
      return this;
    }

    /**
     * {@code tracing} opens a SERVER span per proxied HTTP request on {@code v}, child of the
     * incoming W3C {@code traceparent}, and sends that span's context upstream; the gRPC proxy and
     * the gateway's own watch of the control plane get client and server spans too (default: off).
     * The caller owns {@code v} and closes it after the gateway.
     */
    public Builder tracing(dev.vertice.observability.Tracing v) {
      this.tracing = Objects.requireNonNull(v, "tracing");
      return this;
    }

    /**
     * {@code tls} serves the HTTP listener as HTTPS (HTTP/2 or HTTP/1.1 by ALPN) and the gRPC
     * listener with TLS, both from {@code v}'s certificate, asking for client certificates as its
     * settings say (default: plaintext, HTTP/1.1 and h2c). Files {@code v} reloads reach new
     * handshakes; open connections keep their session. The caller owns {@code v} and closes it
     * after the gateway.
     */
    public Builder tls(ReloadingTls v) {
      this.tls = Objects.requireNonNull(v, "tls");
      return this;
    }

    /**
     * {@code controlPlaneCredentials} secures the watch connection built from {@link
     * #controlPlane(String) addresses}, for example {@code ReloadingTls.forClient(...)
     * .channelCredentials()} (default: plaintext).
     */
    public Builder controlPlaneCredentials(ChannelCredentials v) {
      this.controlPlaneCredentials = Objects.requireNonNull(v, "controlPlaneCredentials");
      return this;
    }

    /**
     * {@code controlPlaneCallCredentials} attaches {@code v} (for example a bearer token) to every
     * call of the watch connection built from addresses (default: none).
     */
    public Builder controlPlaneCallCredentials(CallCredentials v) {
      this.controlPlaneCallCredentials = Objects.requireNonNull(v, "controlPlaneCallCredentials");
      return this;
    }

    /**
     * {@code exposeStatusPages} serves {@code GET /gateway/routes} and {@code GET /gateway/status}
     * on the public HTTP listener too (default: false, they answer 404 there), and makes {@code GET
     * /gateway/health-check/{service}} there list every probed instance (default: the aggregate
     * status alone). They disclose every service's instance addresses to whoever reaches the proxy,
     * so turn this on only where that listener is private (development); {@link
     * Gateway#routesJson()}, {@link Gateway#statusJson()} and {@link Gateway#healthCheckAdminRoute()}
     * give the same answers for an admin port.
     */
    public Builder exposeStatusPages(boolean v) {
      this.exposeStatusPages = v;
      return this;
    }

    /** {@code nodeId} sets the node id sent to the control plane. */
    public Builder nodeId(String v) {
      this.nodeId = Objects.requireNonNull(v, "nodeId");
      return this;
    }

    /**
     * {@code start} binds the ports and starts watching.
     *
     * @throws IllegalStateException when a port cannot be bound
     * @throws InterruptedException when interrupted while binding
     */
    public Gateway start() throws InterruptedException {
      return new Gateway(this);
    }
  }
}
