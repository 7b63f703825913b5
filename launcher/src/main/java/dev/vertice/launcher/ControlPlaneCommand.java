package dev.vertice.launcher;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.autoscale.AutoscaleConfig;
import dev.vertice.controlplane.metrics.ControlPlaneMetrics;
import dev.vertice.controlplane.push.PushLimits;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import dev.vertice.observability.AdminServer;
import dev.vertice.security.auth.AuthInterceptor;
import dev.vertice.security.auth.AuthPolicy;
import dev.vertice.security.auth.Authorizer;
import dev.vertice.security.auth.DenialLog;
import dev.vertice.security.auth.IdentityMapper;
import dev.vertice.security.auth.JwtVerifier;
import dev.vertice.security.auth.PolicyAuthorizer;
import dev.vertice.security.auth.RateLimits;
import dev.vertice.observability.GrpcServerMetrics;
import dev.vertice.observability.Metrics;
import dev.vertice.observability.Tracing;
import dev.vertice.security.tls.ReloadingTls;
import io.grpc.InsecureServerCredentials;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ControlPlaneCommand} runs the control plane until SIGTERM or Ctrl-C. */
@Command(name = "control-plane", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Runs the control plane: on the embedded in-memory store, or as one of several replicas"
        + " sharing Redis (--store).",
        "Every option can also be set with the environment variable shown; flags win."},
    footer = {"", "Durations are whole numbers with ms, s, m or h (e.g. 500ms, 30s, 5m).",
        "Exit codes: 0 after a clean shutdown, 1 on a run-time failure, 2 on invalid configuration."})
public final class ControlPlaneCommand implements Callable<Integer> {

  private static final Logger log = Logger.getLogger("vertice.control-plane");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--host", defaultValue = "${env:VERTICE_HOST:-0.0.0.0}",
      description = "Address to listen on (VERTICE_HOST). Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", defaultValue = "${env:VERTICE_PORT:-7700}",
      description = "gRPC port; 0 picks a free one (VERTICE_PORT). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--admin-port", defaultValue = "${env:VERTICE_ADMIN_PORT:-9700}",
      description = "Admin HTTP port serving /metrics (Prometheus) and /healthz; 0 picks a free one, -1 turns"
          + " it off (VERTICE_ADMIN_PORT). Default: ${DEFAULT-VALUE}.")
  int adminPort;

  @Option(names = "--tls-cert", defaultValue = "${env:VERTICE_TLS_CERT}", paramLabel = "PEM",
      description = "Certificate chain (PEM) of the gRPC listener and the admin port; with --tls-key turns TLS on"
          + " for both (VERTICE_TLS_CERT). Default: none, plaintext (logged as a WARNING).")
  String tlsCert;

  @Option(names = "--tls-key", defaultValue = "${env:VERTICE_TLS_KEY}", paramLabel = "PEM",
      description = "Private key (PEM, PKCS#8) of --tls-cert (VERTICE_TLS_KEY).")
  String tlsKey;

  @Option(names = "--tls-client-ca", defaultValue = "${env:VERTICE_TLS_CLIENT_CA}", paramLabel = "PEM",
      description = "CA bundle (PEM) client certificates are verified against: mutual TLS on the gRPC listener"
          + " (VERTICE_TLS_CLIENT_CA).")
  String tlsClientCa;

  @Option(names = "--tls-client-auth", defaultValue = "${env:VERTICE_TLS_CLIENT_AUTH}",
      description = "none, optional or require a client certificate on the gRPC listener (VERTICE_TLS_CLIENT_AUTH)."
          + " Default: require when --tls-client-ca is set, else none.")
  String tlsClientAuth;

  @Option(names = "--tls-refresh", defaultValue = "${env:VERTICE_TLS_REFRESH:-30s}",
      converter = DurationConverter.class,
      description = "How often the TLS files are checked; changed files serve new connections without dropping"
          + " open ones (VERTICE_TLS_REFRESH). Default: ${DEFAULT-VALUE}.")
  Duration tlsRefresh;

  @Option(names = "--store", defaultValue = "${env:VERTICE_STORE:-memory}",
      description = "Where the registry lives: memory (one process), redis://host:port/db, or"
          + " redis-sentinel://host:port,host:port/mastername to share it between replicas; rediss:// and"
          + " rediss-sentinel:// use TLS (VERTICE_STORE)."
          + " Default: ${DEFAULT-VALUE}.")
  String store;

  @Option(names = "--store-password-file", defaultValue = "${env:VERTICE_STORE_PASSWORD_FILE}",
      description = "File holding the Redis password (one line; a trailing newline is ignored), so that it"
          + " appears in no URL, flag or log (VERTICE_STORE_PASSWORD_FILE).")
  java.nio.file.Path storePasswordFile;

  @Option(names = "--store-user", defaultValue = "${env:VERTICE_STORE_USER}",
      description = "Redis ACL user for --store-password-file; default: the default user (VERTICE_STORE_USER).")
  String storeUser;

  @Option(names = "--store-sentinel-password-file", defaultValue = "${env:VERTICE_STORE_SENTINEL_PASSWORD_FILE}",
      description = "File holding the Sentinels' own password, when they have one"
          + " (VERTICE_STORE_SENTINEL_PASSWORD_FILE).")
  java.nio.file.Path storeSentinelPasswordFile;

  @Option(names = "--store-ca", defaultValue = "${env:VERTICE_STORE_CA}",
      description = "PEM file of the CA that signed the Redis (and Sentinel) certificates, for rediss:// and"
          + " rediss-sentinel://; default: the JVM's trust store (VERTICE_STORE_CA).")
  java.nio.file.Path storeCa;

  @Option(names = "--store-min-replicas", defaultValue = "${env:VERTICE_STORE_MIN_REPLICAS}",
      description = "Redis replicas that must hold each write before it is acknowledged (Redis WAIT):"
          + " default 1 with redis-sentinel://, 0 with redis://; set 1 for a plain master with a replica"
          + " (VERTICE_STORE_MIN_REPLICAS).")
  Integer storeMinReplicas;

  @Option(names = "--lease-ttl", defaultValue = "${env:VERTICE_LEASE_TTL:-60s}", converter = DurationConverter.class,
      description = "Lease TTL when a registration sets none (VERTICE_LEASE_TTL). Default: ${DEFAULT-VALUE}.")
  Duration leaseTtl;

  @Option(names = "--keepalive-interval", defaultValue = "${env:VERTICE_KEEPALIVE_INTERVAL:-30s}",
      converter = DurationConverter.class,
      description = "Keepalive interval handed to clients that set none; at most half the TTL is used"
          + " (VERTICE_KEEPALIVE_INTERVAL). Default: ${DEFAULT-VALUE}.")
  Duration keepalive;

  @Option(names = "--min-lease-ttl", defaultValue = "${env:VERTICE_MIN_LEASE_TTL:-5s}",
      converter = DurationConverter.class,
      description = "Shortest TTL a registration may ask for (VERTICE_MIN_LEASE_TTL). Default: ${DEFAULT-VALUE}.")
  Duration minTtl;

  @Option(names = "--max-lease-ttl", defaultValue = "${env:VERTICE_MAX_LEASE_TTL:-1h}",
      converter = DurationConverter.class,
      description = "Longest TTL a registration may ask for (VERTICE_MAX_LEASE_TTL). Default: ${DEFAULT-VALUE}.")
  Duration maxTtl;

  @Option(names = "--lease-grace", defaultValue = "${env:VERTICE_LEASE_GRACE:-5s}", converter = DurationConverter.class,
      description = "How long a lease survives after its KeepAlive stream broke without Deregister"
          + " (VERTICE_LEASE_GRACE). Default: ${DEFAULT-VALUE}.")
  Duration grace;

  @Option(names = "--max-instances", defaultValue = "${env:VERTICE_MAX_INSTANCES:-1000000}",
      description = "Most instances the registry holds (VERTICE_MAX_INSTANCES). Default: ${DEFAULT-VALUE}.")
  int maxInstances;

  @Option(names = "--max-instances-per-service", defaultValue = "${env:VERTICE_MAX_INSTANCES_PER_SERVICE:-10000}",
      description = "Most instances of one service, so that one service cannot fill the registry"
          + " (VERTICE_MAX_INSTANCES_PER_SERVICE). Default: ${DEFAULT-VALUE}.")
  int maxInstancesPerService;

  @Option(names = "--max-batch-size", defaultValue = "${env:VERTICE_MAX_BATCH_SIZE:-1000}",
      description = "Most instances one RegisterBatch call may register; a larger batch is refused whole with"
          + " INVALID_ARGUMENT (VERTICE_MAX_BATCH_SIZE). Default: ${DEFAULT-VALUE}.")
  int maxBatchSize;

  @Option(names = "--max-message-bytes", defaultValue = "${env:VERTICE_MAX_MESSAGE_BYTES:-1048576}",
      description = "Largest request message accepted (VERTICE_MAX_MESSAGE_BYTES). Default: ${DEFAULT-VALUE}.")
  int maxMessageBytes;

  @Option(names = "--max-subscriptions", defaultValue = "${env:VERTICE_MAX_SUBSCRIPTIONS:-10000}",
      description = "Most resource names one Watch stream may subscribe to, per type"
          + " (VERTICE_MAX_SUBSCRIPTIONS). Default: ${DEFAULT-VALUE}.")
  int maxSubscriptions;

  @Option(names = "--max-pending-bytes-per-stream", defaultValue = "${env:VERTICE_MAX_PENDING_BYTES_PER_STREAM:-8388608}",
      description = "Bytes of client-chosen resource names (subscriptions, and names held only through the initial"
          + " versions of a wildcard) one Watch or ADS stream may make the control plane hold"
          + " (VERTICE_MAX_PENDING_BYTES_PER_STREAM). Default: ${DEFAULT-VALUE}.")
  long maxPendingBytesPerStream;

  @Option(names = "--max-pending-bytes-per-connection",
      defaultValue = "${env:VERTICE_MAX_PENDING_BYTES_PER_CONNECTION:-33554432}",
      description = "The same bytes over all streams of one client connection"
          + " (VERTICE_MAX_PENDING_BYTES_PER_CONNECTION). Default: ${DEFAULT-VALUE}.")
  long maxPendingBytesPerConnection;

  @Option(names = "--max-pending-bytes-per-process",
      defaultValue = "${env:VERTICE_MAX_PENDING_BYTES_PER_PROCESS:-268435456}",
      description = "The same bytes over every stream of this control plane"
          + " (VERTICE_MAX_PENDING_BYTES_PER_PROCESS). Default: ${DEFAULT-VALUE}.")
  long maxPendingBytesPerProcess;

  @Option(names = "--shutdown-grace", defaultValue = "${env:VERTICE_SHUTDOWN_GRACE:-10s}",
      converter = DurationConverter.class,
      description = "How long unary calls may finish at shutdown (VERTICE_SHUTDOWN_GRACE). Default: ${DEFAULT-VALUE}.")
  Duration shutdownGrace;

  @picocli.CommandLine.Mixin
  StatsFlags statsFlags;

  // --- identities, authorization and rate limits (issue 9) ---

  @Option(names = "--auth", defaultValue = "${env:VERTICE_AUTH:-off}",
      description = "off: every caller may do anything (a WARNING is logged at start); on: callers are identified"
          + " by mTLS client certificate or JWT and denied by default (VERTICE_AUTH). Default: ${DEFAULT-VALUE}.")
  String auth;

  @Option(names = "--auth-policy", defaultValue = "${env:VERTICE_AUTH_POLICY}",
      description = "Properties file of roles (role.<name> = gateway|admin) and watch grants"
          + " (watch.<service> = a, b | *); without it no plain name has a role and services see only"
          + " themselves (VERTICE_AUTH_POLICY).")
  java.nio.file.Path authPolicy;

  @Option(names = "--trust-domain", defaultValue = "${env:VERTICE_TRUST_DOMAIN:-vertice}",
      description = "SPIFFE trust domain of accepted identities, spiffe://<domain>/service|gateway|admin/<name>"
          + " (VERTICE_TRUST_DOMAIN). Default: ${DEFAULT-VALUE}.")
  String trustDomain;

  @Option(names = "--jwt-hs256-secret-file", defaultValue = "${env:VERTICE_JWT_HS256_SECRET_FILE}",
      description = "Accept HS256 bearer tokens signed with the secret in this file, at least 32 bytes"
          + " (VERTICE_JWT_HS256_SECRET_FILE).")
  java.nio.file.Path jwtHs256SecretFile;

  @Option(names = "--jwt-ed25519-public-key-file", defaultValue = "${env:VERTICE_JWT_ED25519_PUBLIC_KEY_FILE}",
      description = "Accept EdDSA bearer tokens verified with this Ed25519 public key (PEM)"
          + " (VERTICE_JWT_ED25519_PUBLIC_KEY_FILE).")
  java.nio.file.Path jwtEd25519PublicKeyFile;

  @Option(names = "--jwt-audience", defaultValue = "${env:VERTICE_JWT_AUDIENCE}",
      description = "Require this aud in bearer tokens (VERTICE_JWT_AUDIENCE); default: no audience check.")
  String jwtAudience;

  @Option(names = "--register-rate", defaultValue = "${env:VERTICE_REGISTER_RATE:-50}",
      description = "Register calls per identity per second, with --auth on (VERTICE_REGISTER_RATE)."
          + " Default: ${DEFAULT-VALUE}.")
  int registerRate;

  @Option(names = "--set-health-rate", defaultValue = "${env:VERTICE_SET_HEALTH_RATE:-50}",
      description = "SetHealth calls per identity per second, with --auth on (VERTICE_SET_HEALTH_RATE)."
          + " Default: ${DEFAULT-VALUE}.")
  int setHealthRate;

  @Option(names = "--watch-rate", defaultValue = "${env:VERTICE_WATCH_RATE:-20}",
      description = "Watch/ADS requests adding subscriptions per identity per second, with --auth on"
          + " (VERTICE_WATCH_RATE). Default: ${DEFAULT-VALUE}.")
  int watchRate;

  @Option(names = "--max-streams-per-connection", defaultValue = "${env:VERTICE_MAX_STREAMS_PER_CONNECTION:-10000}",
      description = "Concurrent calls one client connection may carry; more end with RESOURCE_EXHAUSTED"
          + " (VERTICE_MAX_STREAMS_PER_CONNECTION). Default: ${DEFAULT-VALUE}.")
  int maxStreamsPerConnection;

  // --- autoscaling signals (KEDA's external scaler, /metrics; docs/autoscaling.md) ---

  @Option(names = "--autoscale-stale-intervals", defaultValue = "${env:VERTICE_AUTOSCALE_STALE_INTERVALS:-3}",
      description = "For how many of its own stats intervals a gateway's last batch counts for autoscaling; a gateway"
          + " sends nothing while idle (VERTICE_AUTOSCALE_STALE_INTERVALS, 1..100). Default: ${DEFAULT-VALUE}.")
  int autoscaleStaleIntervals;

  @Option(names = "--autoscale-max-reporters", defaultValue = "${env:VERTICE_AUTOSCALE_MAX_REPORTERS:-1024}",
      description = "Most gateways and sidecars whose last stats batch is kept for autoscaling"
          + " (VERTICE_AUTOSCALE_MAX_REPORTERS). Default: ${DEFAULT-VALUE}.")
  int autoscaleMaxReporters;

  @Option(names = "--autoscale-max-streams", defaultValue = "${env:VERTICE_AUTOSCALE_MAX_STREAMS:-1024}",
      description = "Most open StreamIsActive streams of KEDA's external scaler API (VERTICE_AUTOSCALE_MAX_STREAMS)."
          + " Default: ${DEFAULT-VALUE}.")
  int autoscaleMaxStreams;

  @Option(names = "--autoscale-max-exported-services",
      defaultValue = "${env:VERTICE_AUTOSCALE_MAX_EXPORTED_SERVICES:-500}",
      description = "Most services with autoscaling series on /metrics, the busiest kept"
          + " (VERTICE_AUTOSCALE_MAX_EXPORTED_SERVICES, 0 for none). Default: ${DEFAULT-VALUE}.")
  int autoscaleMaxExportedServices;

  @Option(names = "--autoscale-max-exported-versions",
      defaultValue = "${env:VERTICE_AUTOSCALE_MAX_EXPORTED_VERSIONS:-8}",
      description = "Most versions of one service with autoscaling series on /metrics, the busiest kept"
          + " (VERTICE_AUTOSCALE_MAX_EXPORTED_VERSIONS, 0 for the per-service series only). Default: ${DEFAULT-VALUE}.")
  int autoscaleMaxExportedVersions;

  /** Maps the --autoscale-* flags to an {@link AutoscaleConfig}; a bad value exits 2 naming its flag. */
  AutoscaleConfig autoscaleConfig() {
    AutoscaleConfig.Builder b = AutoscaleConfig.custom();
    autoscaleFlag("--autoscale-stale-intervals", () -> b.staleIntervals(autoscaleStaleIntervals));
    autoscaleFlag("--autoscale-max-reporters", () -> b.maxReporters(autoscaleMaxReporters));
    autoscaleFlag("--autoscale-max-streams", () -> b.maxActivityStreams(autoscaleMaxStreams));
    autoscaleFlag("--autoscale-max-exported-services", () -> b.maxExportedServices(autoscaleMaxExportedServices));
    autoscaleFlag("--autoscale-max-exported-versions", () -> b.maxExportedVersions(autoscaleMaxExportedVersions));
    return b.build();
  }

  private void autoscaleFlag(String flag, Runnable set) {
    try {
      set.run();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + flag + ": " + e.getMessage());
    }
  }

  @CommandLine.Mixin
  ConsoleFlags consoleFlags = new ConsoleFlags();

  @Override
  public Integer call() throws IOException, InterruptedException {
    long startNanos = System.nanoTime();
    RegistryConfig registryConfig = registryConfig();
    PushLimits limits = pushLimits();
    dev.vertice.controlplane.store.StatsLimits statsLimits = statsFlags.limits();
    Duration fleetTimeout = statsFlags.fleetTimeout();
    check("--port", port >= 0 && port <= 65535, port + " is outside 0..65535");
    check("--host", !host.isBlank(), "is empty");
    check("--max-message-bytes", maxMessageBytes >= 4096, maxMessageBytes + " is below 4096");
    check("--admin-port", adminPort >= -1 && adminPort <= 65535, adminPort + " is outside -1..65535");

    check("--max-streams-per-connection", maxStreamsPerConnection > 0, maxStreamsPerConnection + " must be positive");
    AutoscaleConfig autoscale = autoscaleConfig();
    AuthSetup authSetup = authSetup();
    dev.vertice.console.ConsoleConfig consoleConfig = consoleFlags.config(spec.commandLine());
    RedisStoreConfig redis = redisStore();
    ReloadingTls tls = TlsFlags.server(spec, tlsCert, tlsKey, tlsClientCa, tlsClientAuth, tlsRefresh);
    if (tls == null) {
      log.warning(TlsFlags.PLAINTEXT_WARNING);
      if (authSetup.interceptor() != null) {
        log.warning("--auth on over plaintext: bearer tokens cross the network in the clear and no client"
            + " certificate can identify a caller; serve TLS (--tls-cert, --tls-key, --tls-client-ca)");
      }
    }
    Metrics metrics = Metrics.withJvmMetrics();
    Tracing tracing = Tracing.fromEnvironment("vertice-control-plane");
    ControlPlaneMetrics controlPlaneMetrics = new ControlPlaneMetrics(metrics.registry());
    // The console's push page reads recent convergence times; every measurement still reaches the metrics.
    dev.vertice.console.ConvergenceWindow convergence = new dev.vertice.console.ConvergenceWindow(controlPlaneMetrics);
    if (authSetup.denials() != null) {
      // Every denial, logged or not (the log lines are rate limited).
      io.micrometer.core.instrument.FunctionCounter.builder("vertice.auth.denials", authSetup.denials(),
              DenialLog::total)
          .description("Calls refused by authentication, authorization or a rate limit")
          .register(metrics.registry());
    }
    ControlPlane controlPlane;
    try {
      controlPlane = ControlPlane.builder().registryConfig(registryConfig).pushLimits(limits).redis(redis)
          .statsLimits(statsLimits).policyFleetTimeout(fleetTimeout)
          .authorizer(authSetup.authorizer()).autoscale(autoscale)
          .registryEvents(controlPlaneMetrics).convergenceListener(convergence).build();
    } catch (IllegalStateException e) {
      log.severe("cannot start: " + e.getMessage());
      return 1;
    }
    controlPlaneMetrics.bind(controlPlane);
    AdminServer admin = null;
    String consoleUrl = null;
    if (adminPort >= 0) {
      ControlPlane cp = controlPlane;
      try {
        // With auth on and client certificates verified, the admin port asks for one too (the console's callers).
        boolean askCertificates = authSetup.interceptor() != null && tls != null && tls.trustManager() != null;
        admin = AdminServer.bindWithEngines(host, adminPort, metrics, () -> cp.store().following(),
            ConsoleFlags.adminEngines(tls == null ? null : tls.sslContext(), askCertificates), AdminServer.DEFAULT_CONFIG);
        if (ConsoleFlags.install(consoleConfig, cp, admin, authSetup.interceptor(), convergence) != null) {
          consoleUrl = (tls == null ? "http" : "https") + "://" + host + ":" + admin.port() + "/ui/";
        }
        admin.start();
      } catch (IOException e) {
        controlPlane.close();
        throw new IOException("cannot listen on admin port " + host + ":" + adminPort + ": " + e.getMessage(), e);
      }
    }
    ControlPlaneServer server;
    try {
      // The span interceptor only when spans are exported: off, it still wrapped every callback of
      // every call in a context (each Watch ACK included) for spans that went nowhere.
      List<io.grpc.ServerInterceptor> interceptors = new java.util.ArrayList<>(tracing.serverInterceptors());
      interceptors.add(new GrpcServerMetrics(metrics.registry()));
      if (authSetup.interceptor() != null) {
        // Last: refused calls are still traced and counted.
        interceptors.add(authSetup.interceptor());
      }
      server = new ControlPlaneServer(controlPlane, host, port, maxMessageBytes, interceptors,
          tls == null ? InsecureServerCredentials.create() : tls.serverCredentials(), maxStreamsPerConnection);
    } catch (IOException e) {
      controlPlane.close();
      throw new IOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Logging.shutdownLine(log.getName(), "shutting down: ending streams so that clients reconnect elsewhere");
      server.stop(shutdownGrace);
      tracing.close();
      Logging.shutdownLine(log.getName(), "stopped");
      stopped.countDown();
      // A clean stop on SIGTERM exits 0, not the JVM's 143.
      Runtime.getRuntime().halt(0);
    }, "vertice-shutdown"));
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    log.info(String.format("vertice %s control plane listening on %s:%d (%s; store: %s, %s; admin: %s; console: %s);"
            + " ready in %d ms (%d ms since JVM start)", BuildInfo.version(), host, server.port(), transport(tls),
        redis == null ? "memory" : redis, registryConfig,
        admin == null ? "off" : (tls == null ? "http" : "https") + "://" + host + ":" + admin.port() + "/metrics",
        consoleUrl == null ? "off" : consoleUrl + " (" + consoleConfig.mode().name().toLowerCase(java.util.Locale.ROOT)
            .replace('_', '-') + (authSetup.interceptor() == null ? ", auth off" : ", auth on") + ")",
        (System.nanoTime() - startNanos) / 1_000_000, System.currentTimeMillis() - jvmStart));
    stopped.await();
    return 0;
  }

  /** What --auth and its options configure: the authorizer and the interceptor (null when auth is off). */
  record AuthSetup(Authorizer authorizer, AuthInterceptor interceptor, DenialLog denials) {}

  AuthSetup authSetup() {
    String mode = auth.strip().toLowerCase(java.util.Locale.ROOT);
    check("--auth", mode.equals("on") || mode.equals("off"), "'" + auth + "' is not on or off");
    check("--register-rate", registerRate > 0, registerRate + " must be positive");
    check("--set-health-rate", setHealthRate > 0, setHealthRate + " must be positive");
    check("--watch-rate", watchRate > 0, watchRate + " must be positive");
    if (mode.equals("off")) {
      for (String[] given : new String[][] {{"--auth-policy", authPolicy == null ? null : "set"},
          {"--jwt-hs256-secret-file", jwtHs256SecretFile == null ? null : "set"},
          {"--jwt-ed25519-public-key-file", jwtEd25519PublicKeyFile == null ? null : "set"},
          {"--jwt-audience", jwtAudience}}) {
        check(given[0], given[1] == null, "is set but --auth is off; add --auth on");
      }
      log.warning("WARNING: authentication and authorization are OFF (--auth off): any caller may register,"
          + " deregister, watch every service and run canary operations. Use --auth on outside development.");
      return new AuthSetup(Authorizer.ALLOW_ALL, null, null);
    }
    AuthPolicy policy = AuthPolicy.empty();
    if (authPolicy != null) {
      try {
        policy = AuthPolicy.load(authPolicy);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid --auth-policy: " + e.getMessage());
      }
    }
    IdentityMapper mapper;
    try {
      mapper = new IdentityMapper(trustDomain.strip(), policy);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --trust-domain: " + e.getMessage());
    }
    JwtVerifier jwt = null;
    if (jwtHs256SecretFile != null || jwtEd25519PublicKeyFile != null) {
      JwtVerifier.Builder b = JwtVerifier.builder();
      if (jwtHs256SecretFile != null) {
        try {
          b.hs256SecretFile(jwtHs256SecretFile);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "invalid --jwt-hs256-secret-file: "
              + e.getMessage());
        }
      }
      if (jwtEd25519PublicKeyFile != null) {
        try {
          b.ed25519PublicKeyFile(jwtEd25519PublicKeyFile);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "invalid --jwt-ed25519-public-key-file: "
              + e.getMessage());
        }
      }
      try {
        b.audience(jwtAudience);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid --jwt-audience: " + e.getMessage());
      }
      jwt = b.build();
    } else {
      check("--jwt-audience", jwtAudience == null, "is set but no JWT key is (--jwt-hs256-secret-file,"
          + " --jwt-ed25519-public-key-file)");
      log.warning("auth is on without a JWT key: only mTLS client certificates identify callers");
    }
    RateLimits limits = new RateLimits(RateLimits.Limit.perSecond(registerRate),
        RateLimits.Limit.perSecond(setHealthRate), RateLimits.Limit.perSecond(watchRate),
        RateLimits.DEFAULT_MAX_IDENTITIES);
    DenialLog denials = DenialLog.ofDefaults();
    log.info("auth on: trust domain " + mapper.trustDomain() + ", " + policy + ", "
        + (jwt == null ? "no JWT" : jwt.toString()) + ", rate limits per identity: Register " + limits.limit(
            RateLimits.Operation.REGISTER) + ", SetHealth " + limits.limit(RateLimits.Operation.SET_HEALTH)
        + ", Watch " + limits.limit(RateLimits.Operation.WATCH));
    return new AuthSetup(new PolicyAuthorizer(policy, limits, denials), new AuthInterceptor(mapper, jwt, denials),
        denials);
  }

  private static String transport(ReloadingTls tls) {
    if (tls == null) {
      return "plaintext";
    }
    return "tls, client certificates: " + tls.settings().clientAuth().name().toLowerCase(java.util.Locale.ROOT);
  }

  private RedisStoreConfig redisStore() {
    if (store.strip().equals("memory")) {
      for (Object set : new Object[] {storePasswordFile, storeSentinelPasswordFile, storeCa, storeUser,
          storeMinReplicas}) {
        check("--store", set == null, "memory takes no --store-password-file, --store-user,"
            + " --store-sentinel-password-file, --store-ca or --store-min-replicas");
      }
      return null;
    }
    RedisStoreConfig config;
    try {
      config = RedisStoreConfig.parse(store);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --store: " + e.getMessage()
          + " (or memory)");
    }
    if (storePasswordFile != null) {
      check("--store-password-file", config.password() == null, "--store already holds a password; give one of them");
      config = apply("--store-password-file", config, c -> RedisStoreConfig.from(c).credentials(storeUser,
          secret("--store-password-file", storePasswordFile)).build());
    } else {
      check("--store-user", storeUser == null, "needs --store-password-file");
    }
    if (storeSentinelPasswordFile != null) {
      config = apply("--store-sentinel-password-file", config, c -> RedisStoreConfig.from(c).sentinelPassword(
          secret("--store-sentinel-password-file", storeSentinelPasswordFile)).build());
    }
    if (storeCa != null) {
      config = apply("--store-ca", config, c -> RedisStoreConfig.from(c).ca(storeCa).build());
    }
    if (storeMinReplicas != null) {
      config = apply("--store-min-replicas", config, c -> RedisStoreConfig.from(c).minReplicas(storeMinReplicas).build());
    }
    return config;
  }

  private RedisStoreConfig apply(String option, RedisStoreConfig config,
      java.util.function.UnaryOperator<RedisStoreConfig> change) {
    try {
      return change.apply(config);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + e.getMessage());
    }
  }

  /** Reads a secret from {@code file}: its one line without the line end. Error messages never quote it. */
  private String secret(String option, java.nio.file.Path file) {
    String text;
    try {
      text = java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + file
          + " does not exist");
    } catch (IOException | RuntimeException e) {
      // Not the exception's message: a decoder's may quote the bytes it choked on.
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": cannot read " + file
          + " as UTF-8 text");
    }
    String line = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
        : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    check(option, !line.isEmpty(), file + " is empty");
    check(option, line.indexOf('\n') < 0 && line.indexOf('\r') < 0, file + " holds more than one line");
    return line;
  }

  private RegistryConfig registryConfig() {
    check("--max-instances-per-service", maxInstancesPerService > 0, maxInstancesPerService + " must be positive");
    check("--max-batch-size", maxBatchSize > 0, maxBatchSize + " must be positive");
    try {
      return RegistryConfig.custom()
          .minTtl(minTtl).maxTtl(maxTtl).defaultTtl(leaseTtl).defaultKeepalive(keepalive).grace(grace)
          .maxInstances(maxInstances).maxInstancesPerService(maxInstancesPerService)
          .maxBatchSize(maxBatchSize).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid lease settings (--lease-ttl,"
          + " --keepalive-interval, --min-lease-ttl, --max-lease-ttl, --lease-grace, --max-instances,"
          + " --max-instances-per-service): "
          + e.getMessage());
    }
  }

  private PushLimits pushLimits() {
    check("--max-subscriptions", maxSubscriptions > 0, maxSubscriptions + " must be positive");
    check("--max-pending-bytes-per-stream", maxPendingBytesPerStream > 0, maxPendingBytesPerStream + " must be positive");
    check("--max-pending-bytes-per-connection", maxPendingBytesPerConnection > 0,
        maxPendingBytesPerConnection + " must be positive");
    check("--max-pending-bytes-per-process", maxPendingBytesPerProcess > 0,
        maxPendingBytesPerProcess + " must be positive");
    return PushLimits.custom().maxSubscriptionsPerStream(maxSubscriptions)
        .maxPendingBytesPerStream(maxPendingBytesPerStream)
        .maxPendingBytesPerConnection(maxPendingBytesPerConnection)
        .maxPendingBytesPerProcess(maxPendingBytesPerProcess).build();
  }

  private void check(String option, boolean ok, String problem) {
    if (!ok) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + problem);
    }
  }
}
