package dev.vertice.launcher;

import dev.vertice.client.StatsReporter;
import dev.vertice.client.WatchClientMetrics;
import dev.vertice.common.ZoneConfig;
import dev.vertice.gateway.Gateway;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.gateway.health.HealthCheckConfig;
import dev.vertice.gateway.health.HealthCheckRoute;
import dev.vertice.gateway.proxy.StatsSink;
import dev.vertice.gateway.resilience.ResilienceConfig;
import dev.vertice.gateway.routing.RouteRule;
import dev.vertice.observability.AdminServer;
import dev.vertice.observability.Metrics;
import dev.vertice.observability.Tracing;
import dev.vertice.security.tls.TlsFlagRules;
import dev.vertice.security.tls.TlsFlagRules.ClientFlags;
import dev.vertice.security.tls.TlsFlagRules.ListenerFlags;
import dev.vertice.security.tls.TlsFlagRules.Material;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code GatewayCommand} runs the data-plane gateway until SIGTERM or Ctrl-C, then drains. */
@Command(name = "gateway", mixinStandardHelpOptions = true, sortOptions = false,
    resourceBundle = "dev.vertice.launcher.GatewayCommand$Texts",
    description = {"Runs the API gateway: a reverse proxy (HTTP/1.1, h2c, gRPC) that routes /{service}/... to the"
        + " service's instances, from the snapshot the control plane pushes.",
        "Every option can also be set with the environment variable shown; flags win."},
    footer = {"", "Durations are whole numbers with ms, s, m or h (e.g. 500ms, 30s, 5m).",
        "Public HTTP port: GET /gateway/health-check/{service}.",
        "Admin port: GET /metrics (Prometheus), GET /healthz (200 once the first routing snapshot arrived"
            + " from the control plane; it stays 200 when the control plane goes away, since routing goes on),"
            + " GET /gateway/routes (the routing table: every service's instance addresses), GET /gateway/status"
            + " (snapshot generation, staleness, control-plane connection, traffic counters). The last two are"
            + " on the public port too only with --public-status-pages.",
        "Exit codes: 0 after a clean shutdown, 1 on a run-time failure, 2 on invalid configuration."})
public final class GatewayCommand implements Callable<Integer> {

  private static final Logger log = Logger.getLogger("vertice.gateway");
  /** The most event loops {@code --event-loops} takes. */
  static final int MAX_EVENT_LOOPS = 1024;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--host", defaultValue = "${env:VERTICE_HOST:-0.0.0.0}",
      description = "Address to listen on (VERTICE_HOST). Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", defaultValue = "${env:VERTICE_PORT:-8080}",
      description = "HTTP port; 0 picks a free one (VERTICE_PORT). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--grpc-port", defaultValue = "${env:VERTICE_GRPC_PORT:-8081}",
      description = "gRPC proxy port; 0 picks a free one, -1 disables it (VERTICE_GRPC_PORT). Default: ${DEFAULT-VALUE}.")
  int grpcPort;

  @Option(names = "--admin-port", defaultValue = "${env:VERTICE_ADMIN_PORT:-9701}",
      description = "Admin HTTP port serving /metrics (Prometheus), /healthz, /gateway/routes, /gateway/status and"
          + " /gateway/health-check/{service} with instance detail; 0 picks"
          + " a free one, -1 turns it off (VERTICE_ADMIN_PORT). Default: ${DEFAULT-VALUE}.")
  int adminPort;

  @Mixin
  ControlPlaneAddressFlag controlPlaneFlag;

  @Option(names = "--node-id", defaultValue = "${env:VERTICE_NODE_ID:-}",
      description = "Identity sent to the control plane and in stats (VERTICE_NODE_ID). Default: gateway-<pid>.")
  String nodeId;

  @Option(names = {"--balancer", "--lb-policy"}, defaultValue = "${env:VERTICE_BALANCER:-least-request}",
      description = "least-request (power of two choices), round-robin (weighted) or peak-ewma (latency-aware"
          + " power of two choices) (VERTICE_BALANCER). Default: ${DEFAULT-VALUE}.")
  String balancer;

  @Option(names = "--peak-ewma-decay", defaultValue = "${env:VERTICE_PEAK_EWMA_DECAY:-10s}",
      converter = DurationConverter.class,
      description = "Decay time constant of each instance's latency estimate, for --balancer peak-ewma"
          + " (VERTICE_PEAK_EWMA_DECAY). Default: ${DEFAULT-VALUE}.")
  Duration peakEwmaDecay;

  @Option(names = "--zone", defaultValue = "${env:VERTICE_ZONE:-}",
      description = "This gateway's zone: prefer instances in it, spilling over to other zones only as its"
          + " capacity requires (VERTICE_ZONE). Default: none (zones ignored).")
  String zone;

  @Option(names = "--zone-min-cluster-size", defaultValue = "${env:VERTICE_ZONE_MIN_CLUSTER_SIZE:-6}",
      description = "Zones are ignored for a version subset with fewer SERVING instances than this"
          + " (VERTICE_ZONE_MIN_CLUSTER_SIZE). Default: ${DEFAULT-VALUE}.")
  int zoneMinClusterSize;

  @Option(names = "--zone-local-share", defaultValue = "${env:VERTICE_ZONE_LOCAL_SHARE:-0}",
      description = "Share of the callers in this zone, 0..1: traffic stays local while the zone holds at least"
          + " this share of the SERVING weight; 0 means one over the number of zones"
          + " (VERTICE_ZONE_LOCAL_SHARE). Default: ${DEFAULT-VALUE}.")
  double zoneLocalShare;

  @Option(names = "--route", split = ",", defaultValue = "${env:VERTICE_ROUTES:-}",
      description = "Extra routing rule, repeatable or comma-separated: host:HOST=SERVICE or path:/PREFIX=SERVICE,"
          + " optionally ;timeout=5s (VERTICE_ROUTES). Default: /{service}/... only.")
  List<String> routes;

  @Option(names = "--request-timeout", defaultValue = "${env:VERTICE_REQUEST_TIMEOUT:-30s}",
      converter = DurationConverter.class,
      description = "Time to wait for an upstream's response headers; 504 beyond (VERTICE_REQUEST_TIMEOUT)."
          + " Default: ${DEFAULT-VALUE}.")
  Duration requestTimeout;

  @Option(names = "--connect-timeout", defaultValue = "${env:VERTICE_CONNECT_TIMEOUT:-2s}",
      converter = DurationConverter.class,
      description = "Time to open an upstream connection (VERTICE_CONNECT_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration connectTimeout;

  @Option(names = "--header-timeout", defaultValue = "${env:VERTICE_HEADER_TIMEOUT:-10s}",
      converter = DurationConverter.class,
      description = "Time allowed to receive request headers; 408 and close beyond (VERTICE_HEADER_TIMEOUT)."
          + " Default: ${DEFAULT-VALUE}.")
  Duration headerTimeout;

  @Option(names = "--lingering-close", defaultValue = "${env:VERTICE_LINGERING_CLOSE:-2s}",
      converter = DurationConverter.class,
      description = "After an answer that closes an HTTP/1 connection (408, 503, connection: close), how long"
          + " the gateway keeps reading and dropping what the client still sends, so that it gets the answer"
          + " rather than a reset (VERTICE_LINGERING_CLOSE). Default: ${DEFAULT-VALUE}.")
  Duration lingeringClose;

  @Option(names = "--idle-timeout", defaultValue = "${env:VERTICE_IDLE_TIMEOUT:-60s}",
      converter = DurationConverter.class,
      description = "Idle keep-alive connections close after this, and gRPC connections without a call"
          + " (VERTICE_IDLE_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration idleTimeout;

  @Option(names = "--max-header-bytes", defaultValue = "${env:VERTICE_MAX_HEADER_BYTES:-16384}",
      description = "Largest request header block; 431 beyond (VERTICE_MAX_HEADER_BYTES). Default: ${DEFAULT-VALUE}.")
  int maxHeaderBytes;

  @Option(names = "--max-initial-line-bytes", defaultValue = "${env:VERTICE_MAX_INITIAL_LINE_BYTES:-8192}",
      description = "Longest request line; 414 beyond (VERTICE_MAX_INITIAL_LINE_BYTES). Default: ${DEFAULT-VALUE}.")
  int maxInitialLineBytes;

  @Option(names = "--max-body-bytes", defaultValue = "${env:VERTICE_MAX_BODY_BYTES:-10485760}",
      description = "Largest request body; 413 beyond (VERTICE_MAX_BODY_BYTES). Default: ${DEFAULT-VALUE}.")
  long maxBodyBytes;

  @Option(names = "--max-connections", defaultValue = "${env:VERTICE_MAX_CONNECTIONS:-10000}",
      description = "Most client connections; 503 and close beyond (VERTICE_MAX_CONNECTIONS). Default: ${DEFAULT-VALUE}.")
  int maxConnections;

  @Option(names = "--max-connections-per-client", defaultValue = "${env:VERTICE_MAX_CONNECTIONS_PER_CLIENT:-1000}",
      description = "Most client connections from one IP address; 503 and close beyond. Behind a load balancer"
          + " that hides client addresses, raise it to --max-connections (VERTICE_MAX_CONNECTIONS_PER_CLIENT)."
          + " Default: ${DEFAULT-VALUE}.")
  int maxConnectionsPerClient;

  @Option(names = "--response-write-timeout", defaultValue = "${env:VERTICE_RESPONSE_WRITE_TIMEOUT:-30s}",
      converter = DurationConverter.class,
      description = "How long a started response may wait for the client to read more of it; beyond, the"
          + " connection is closed (HTTP/1) or the stream reset (HTTP/2) and the upstream connection let go"
          + " (VERTICE_RESPONSE_WRITE_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration responseWriteTimeout;

  @Option(names = "--max-concurrent-streams", defaultValue = "${env:VERTICE_MAX_CONCURRENT_STREAMS:-128}",
      description = "Most concurrent HTTP/2 streams (and gRPC calls) per connection"
          + " (VERTICE_MAX_CONCURRENT_STREAMS). Default: ${DEFAULT-VALUE}.")
  int maxConcurrentStreams;

  @Option(names = "--event-loops", defaultValue = "${env:VERTICE_EVENT_LOOPS:-0}",
      description = "Event-loop threads serving the HTTP and gRPC listeners and their upstream connections; 0 is"
          + " two per available core (VERTICE_EVENT_LOOPS). Default: ${DEFAULT-VALUE}.")
  int eventLoops;

  @Option(names = "--max-connections-per-instance", defaultValue = "${env:VERTICE_MAX_CONNECTIONS_PER_INSTANCE:-64}",
      description = "Most pooled upstream connections per instance and event loop"
          + " (VERTICE_MAX_CONNECTIONS_PER_INSTANCE). Default: ${DEFAULT-VALUE}.")
  int maxConnectionsPerInstance;

  @Option(names = "--retry-budget", defaultValue = "${env:VERTICE_RETRY_BUDGET:-0.2}",
      description = "Retries allowed per request, 0-1, plus 10/s (VERTICE_RETRY_BUDGET). Default: ${DEFAULT-VALUE}.")
  double retryBudget;

  @Option(names = "--max-attempts", defaultValue = "${env:VERTICE_MAX_ATTEMPTS:-3}",
      description = "Attempts per request, the first included, 1-10 (VERTICE_MAX_ATTEMPTS). Default: ${DEFAULT-VALUE}.")
  int maxAttempts;

  @Option(names = "--traffic-policies", defaultValue = "${env:VERTICE_TRAFFIC_POLICIES:-true}", arity = "1",
      description = "Watch TrafficPolicy resources (canary splits) (VERTICE_TRAFFIC_POLICIES). Default: ${DEFAULT-VALUE}.")
  boolean trafficPolicies;

  @Option(names = "--stats", defaultValue = "${env:VERTICE_STATS:-true}", arity = "1",
      description = "Report per-version request stats to the control plane every second (VERTICE_STATS)."
          + " Default: ${DEFAULT-VALUE}.")
  boolean stats;

  @Option(names = "--health-check-redis", defaultValue = "${env:VERTICE_HEALTH_CHECK_REDIS:-}",
      description = "Redis shared by the gateways as layer 2 of GET /gateway/health-check/{service}, e.g."
          + " redis://127.0.0.1:6379/0 (VERTICE_HEALTH_CHECK_REDIS). Default: none (memory layer and breaker only).")
  String healthCheckRedis;

  @Option(names = "--health-check-probe-rate", defaultValue = "${env:VERTICE_HEALTH_CHECK_PROBE_RATE:-20}",
      description = "Health-check probe rounds that may start per second, over every service and caller (a cache"
          + " miss of GET /gateway/health-check/{service} starts one); 429 beyond, probing nothing"
          + " (VERTICE_HEALTH_CHECK_PROBE_RATE). Default: ${DEFAULT-VALUE}.")
  int healthCheckProbeRate;

  @Option(names = "--public-status-pages", defaultValue = "${env:VERTICE_GATEWAY_PUBLIC_STATUS_PAGES:-false}",
      arity = "0..1", fallbackValue = "true",
      description = "Also serve GET /gateway/routes and GET /gateway/status on the public HTTP port; they disclose"
          + " every service's instance addresses to anyone who reaches it, so only where that port is private"
          + " (VERTICE_GATEWAY_PUBLIC_STATUS_PAGES). Default: ${DEFAULT-VALUE} (admin port only).")
  boolean publicStatusPages;

  @Option(names = "--shutdown-grace", defaultValue = "${env:VERTICE_SHUTDOWN_GRACE:-10s}",
      converter = DurationConverter.class,
      description = "How long requests in flight may finish at shutdown (VERTICE_SHUTDOWN_GRACE). Default: ${DEFAULT-VALUE}.")
  Duration shutdownGrace;

  // TLS (issue 9): listeners, then the control-plane connection.
  @Option(names = "--tls-cert", defaultValue = "${env:VERTICE_GATEWAY_TLS_CERT:-}",
      description = "PEM certificate chain of the HTTP (HTTPS, HTTP/2 by ALPN), gRPC and admin listeners; with"
          + " --tls-key it turns TLS on, reloaded when the file changes (VERTICE_GATEWAY_TLS_CERT). Default: none"
          + " (plaintext, with a warning).")
  String tlsCert;

  @Option(names = "--tls-key", defaultValue = "${env:VERTICE_GATEWAY_TLS_KEY:-}",
      description = "PKCS#8 PEM private key of --tls-cert (VERTICE_GATEWAY_TLS_KEY). Default: none.")
  String tlsKey;

  @Option(names = "--tls-client-ca", defaultValue = "${env:VERTICE_GATEWAY_TLS_CLIENT_CA:-}",
      description = "PEM CA bundle that client certificates are verified against on the HTTP and gRPC listeners"
          + " (mutual TLS) (VERTICE_GATEWAY_TLS_CLIENT_CA). Default: none.")
  String tlsClientCa;

  @Option(names = "--tls-client-auth", defaultValue = "${env:VERTICE_GATEWAY_TLS_CLIENT_AUTH:-}",
      description = "none, optional or require: whether the HTTP and gRPC listeners ask for client certificates"
          + " (VERTICE_GATEWAY_TLS_CLIENT_AUTH). Default: require with --tls-client-ca, else none.")
  String tlsClientAuth;

  @Option(names = "--tls-refresh", defaultValue = "${env:VERTICE_GATEWAY_TLS_REFRESH:-30s}",
      converter = DurationConverter.class,
      description = "How often the certificate, key and CA files are checked for changes; new connections use"
          + " changed files, open ones keep theirs (VERTICE_GATEWAY_TLS_REFRESH). Default: ${DEFAULT-VALUE}.")
  Duration tlsRefresh;

  @Mixin
  ControlPlaneTlsFlags controlPlaneTls;

  /** Checks and loads the TLS flags; a bad one ends the command with exit code 2 naming it. */
  private Material tls() {
    try {
      return TlsFlagRules.load(ListenerFlags.TLS, tlsCert, tlsKey, tlsClientCa, tlsClientAuth,
          ClientFlags.CONTROL_PLANE, controlPlaneTls.ca, controlPlaneTls.cert, controlPlaneTls.key,
          controlPlaneTls.tokenFile, tlsRefresh);
    } catch (TlsFlagRules.InvalidFlagException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** The one warning line naming what is plaintext, or null when everything is TLS. */
  static String plaintextWarning(boolean httpTls, boolean grpcOn, boolean adminOn, boolean controlPlaneTls) {
    List<String> plain = new ArrayList<>();
    if (!httpTls) {
      plain.add("the HTTP listener");
      if (grpcOn) {
        plain.add("the gRPC listener");
      }
      if (adminOn) {
        plain.add("the admin port");
      }
    }
    if (!controlPlaneTls) {
      plain.add("the control-plane connection");
    }
    return plain.isEmpty() ? null : "PLAINTEXT: " + String.join(", ", plain) + (plain.size() == 1 ? " is" : " are")
        + " not encrypted; set --tls-cert and --tls-key (listeners) and --control-plane-ca (control plane)"
        + " outside development";
  }

  /** What the shared control-plane flags say in this command. */
  public static final class Texts extends FlagTexts {
    /** {@code Texts} holds the gateway's words; picocli loads it by name. */
    public Texts() {
      super("127.0.0.1:7700",
          "Control-plane replicas, host:port[,host:port...] (VERTICE_CONTROL_PLANE). Default: ${DEFAULT-VALUE}.",
          "PEM CA bundle the control plane's certificate is verified against; turns TLS on for the"
              + " watch and stats connections (VERTICE_CONTROL_PLANE_CA). Default: none (plaintext, with a warning).");
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    long startNanos = System.nanoTime();
    String controlPlane = controlPlaneFlag.value();
    GatewayConfig config = config();
    String node = nodeId == null || nodeId.isBlank() ? "gateway-" + ProcessHandle.current().pid() : nodeId.strip();
    check("--node-id", node.length() <= 128, "is longer than 128 characters");
    check("--admin-port", adminPort >= -1 && adminPort <= 65535, adminPort + " is outside -1..65535");
    check("--event-loops", eventLoops >= 0 && eventLoops <= MAX_EVENT_LOOPS, eventLoops + " is outside 0.."
        + MAX_EVENT_LOOPS);
    StatsReporter reporter = null;
    java.util.concurrent.atomic.AtomicReference<Gateway> started = new java.util.concurrent.atomic.AtomicReference<>();
    Metrics metrics = Metrics.withJvmMetrics();
    Gateway.Builder builder = Gateway.builder(config).nodeId(node).meterRegistry(metrics.registry())
        .exposeStatusPages(publicStatusPages).threads(eventLoops);
    HealthCheckConfig.Builder healthCheck = HealthCheckConfig.custom();
    try {
      healthCheck.maxProbeRoundsPerSecond(healthCheckProbeRate);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --health-check-probe-rate: "
          + e.getMessage());
    }
    if (healthCheckRedis != null && !healthCheckRedis.isBlank()) {
      java.net.URI redisUri;
      try {
        redisUri = new java.net.URI(healthCheckRedis.strip());
      } catch (java.net.URISyntaxException e) {
        // Not the parser's message: it quotes the whole value, password included.
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid --health-check-redis: '"
            + dev.vertice.controlplane.store.redis.RedisStoreConfig.redact(healthCheckRedis.strip())
            + "' is not a URI");
      }
      try {
        healthCheck.redisUri(redisUri);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid --health-check-redis: " + e.getMessage());
      }
    }
    builder.healthCheck(healthCheck.build());
    Material tls = tls();
    if (tls.listeners() != null) {
      builder.tls(tls.listeners());
    }
    if (tls.controlPlane() != null) {
      builder.controlPlaneCredentials(tls.controlPlane().channelCredentials());
    }
    if (tls.token() != null) {
      builder.controlPlaneCallCredentials(tls.token());
    }
    // Off unless the OTEL_* environment configures an exporter; spans the gateway's own calls to the
    // control plane (watch, stats) as well as the traffic it proxies.
    Tracing tracing = Tracing.fromEnvironment("vertice-gateway");
    builder.tracing(tracing);
    try {
      dev.vertice.client.ControlPlaneAddresses.parse(controlPlane);
      builder.controlPlane(controlPlane);
      if (stats) {
        StatsReporter.Builder rb = StatsReporter.builder().controlPlane(controlPlane).reporter(node)
            .interceptors(tracing.clientInterceptors())
            // Requests in flight per version, for autoscaling: read from the gateway once it runs.
            .inFlight(() -> {
              Gateway g = started.get();
              return g == null ? java.util.Map.of() : g.routingState().inFlight();
            });
        if (tls.controlPlane() != null) {
          rb.channelCredentials(tls.controlPlane().channelCredentials());
        }
        if (tls.token() != null) {
          rb.callCredentials(tls.token());
        }
        reporter = rb.build();
        StatsReporter r = reporter;
        builder.stats(r::record);
      } else {
        builder.stats(StatsSink.NONE);
      }
    } catch (IllegalArgumentException e) {
      tls.close();
      tracing.close();
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --control-plane: " + e.getMessage());
    }
    Gateway gateway;
    try {
      gateway = builder.start();
      started.set(gateway);
    } catch (IllegalStateException e) {
      if (reporter != null) {
        reporter.close();
      }
      tracing.close();
      tls.close();
      log.severe("cannot start: " + e.getMessage());
      return 1;
    }
    WatchClientMetrics.bind(gateway.watchClient(), metrics.registry());
    AdminServer admin = null;
    if (adminPort >= 0) {
      // Ready once the first pushed state is applied to routing: from then on the gateway routes,
      // control plane or not.
      AtomicBoolean syncedOnce = new AtomicBoolean();
      try {
        admin = AdminServer.bind(host, adminPort, metrics, () -> {
          if (!syncedOnce.get() && gateway.routesReady()) {
            syncedOnce.set(true);
          }
          return syncedOnce.get();
        }, tls.listeners() == null ? null : tls.listeners().sslContext());
        // Not ready: 503 says why (the control plane unreachable, or no snapshot yet).
        admin.route("/healthz", path -> {
          if (syncedOnce.get() || gateway.routesReady()) {
            syncedOnce.set(true);
            return AdminServer.Response.json(200, "{\"status\":\"ok\"}");
          }
          String why = gateway.notReadyReason();
          return AdminServer.Response.json(503, "{\"status\":\"not ready\",\"reason\":"
              + dev.vertice.common.JsonStrings.quote(why == null ? "starting" : why) + "}");
        });
        admin.json("/gateway/routes", gateway::routesJson).json("/gateway/status", gateway::statusJson)
            .route(HealthCheckRoute.PATH, gateway.healthCheckAdminRoute()).start();
      } catch (IOException e) {
        gateway.close();
        if (reporter != null) {
          reporter.close();
        }
        tracing.close();
        tls.close();
        log.severe("cannot listen on admin port " + host + ":" + adminPort + ": " + e.getMessage());
        return 1;
      }
    }
    AdminServer finalAdmin = admin;
    StatsReporter finalReporter = reporter;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Logging.shutdownLine(log.getName(), "shutting down: draining requests in flight (up to "
          + shutdownGrace.toMillis() + " ms)");
      boolean drained = false;
      try {
        drained = gateway.shutdown(shutdownGrace);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (finalReporter != null) {
        finalReporter.close();
      }
      if (finalAdmin != null) {
        finalAdmin.close();
      }
      tracing.close(); // flushes the spans of the drained requests
      tls.close();
      Logging.shutdownLine(log.getName(), drained ? "stopped" : "stopped; some requests did not finish in time");
      stopped.countDown();
      Runtime.getRuntime().halt(0);
    }, "vertice-shutdown"));
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    boolean secure = tls.listeners() != null;
    String warning = plaintextWarning(secure, gateway.grpcPort() >= 0, admin != null, tls.controlPlane() != null);
    if (warning != null) {
      log.warning(warning);
    }
    log.info(String.format("vertice %s gateway listening on %s:%d (%s)%s; control plane %s%s; admin: %s;"
            + " ready in %d ms (%d ms since JVM start)", BuildInfo.version(), host, gateway.port(),
        secure ? "HTTPS: h2, http/1.1" : "HTTP, h2c",
        gateway.grpcPort() < 0 ? "" : " and :" + gateway.grpcPort() + (secure ? " (gRPC over TLS)" : " (gRPC)"),
        controlPlane, tls.controlPlane() == null ? "" : " over TLS",
        admin == null ? "off" : (secure ? "https://" : "http://") + host + ":" + admin.port() + "/metrics",
        (System.nanoTime() - startNanos) / 1_000_000, System.currentTimeMillis() - jvmStart));
    logReadiness(gateway);
    stopped.await();
    return 0;
  }

  /**
   * Says in the log when the gateway is not ready at start (why: typically the control plane not
   * reachable yet), again every 30 s while it stays so, and once it is ready. A daemon thread that ends then.
   */
  private static void logReadiness(Gateway gateway) {
    if (gateway.routesReady()) {
      return;
    }
    Thread t = new Thread(() -> {
      long start = System.nanoTime();
      long nextWarning = start;
      try {
        String why;
        while ((why = gateway.notReadyReason()) != null) {
          if (System.nanoTime() - nextWarning >= 0) {
            log.warning("not ready: " + why);
            nextWarning = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          }
          Thread.sleep(200);
        }
        log.info("ready: the first routing snapshot is applied, "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms after start");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "vertice-readiness-log");
    t.setDaemon(true);
    t.start();
  }

  GatewayConfig config() {
    List<RouteRule> rules = new ArrayList<>();
    if (routes != null) {
      for (String r : routes) {
        if (r.isBlank()) {
          continue;
        }
        try {
          rules.add(RouteRule.parse(r));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "invalid --route: " + e.getMessage());
        }
      }
    }
    ResilienceConfig resilience;
    try {
      ResilienceConfig d = ResilienceConfig.ofDefaults();
      resilience = ResilienceConfig.custom().retries(retryBudget, d.minRetriesPerSecond(), maxAttempts).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --retry-budget or --max-attempts: "
          + e.getMessage());
    }
    try {
      return GatewayConfig.custom().host(host).port(port).grpcPort(grpcPort).balancer(balancer)
          .zone(ZoneConfig.custom().zone(zone).minClusterSize(zoneMinClusterSize).localShare(zoneLocalShare).build())
          .peakEwmaDecay(peakEwmaDecay)
          .rules(rules).requestTimeout(requestTimeout).connectTimeout(connectTimeout).headerTimeout(headerTimeout)
          .lingeringClose(lingeringClose).idleTimeout(idleTimeout).maxHeaderBytes(maxHeaderBytes).maxInitialLineBytes(maxInitialLineBytes)
          .maxBodyBytes(maxBodyBytes).maxConnections(maxConnections).maxConcurrentStreams(maxConcurrentStreams)
          .maxConnectionsPerClient(maxConnectionsPerClient).responseWriteTimeout(responseWriteTimeout)
          .maxConnectionsPerInstance(maxConnectionsPerInstance).resilience(resilience)
          .watchTrafficPolicies(trafficPolicies).shutdownGrace(shutdownGrace).build();
    } catch (IllegalArgumentException e) {
      // GatewayConfig's messages read "invalid <setting>: ...", the setting named as its flag.
      String msg = e.getMessage();
      throw new CommandLine.ParameterException(spec.commandLine(), msg.startsWith("invalid ") ? msg.replaceFirst(
          "^invalid ", "invalid --") : msg);
    }
  }

  private void check(String option, boolean ok, String problem) {
    if (!ok) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + problem);
    }
  }
}
