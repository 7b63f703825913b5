package dev.vertice.launcher;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.observability.AdminServer;
import dev.vertice.observability.SmallMetrics;
import dev.vertice.security.tls.TlsFlagRules;
import dev.vertice.security.tls.TlsFlagRules.ClientFlags;
import dev.vertice.security.tls.TlsFlagRules.ListenerFlags;
import dev.vertice.security.tls.TlsFlagRules.Material;
import dev.vertice.sidecar.InvalidSettingException;
import dev.vertice.sidecar.Sidecar;
import dev.vertice.sidecar.SidecarConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code SidecarCommand} runs one {@link Sidecar} until SIGTERM (then drains and exits 0).
 *
 * <p>Exit codes: 0 after a drain, 1 on a run-time failure (the local API's port taken), 2 on
 * invalid configuration, including a registration the control plane rejects as invalid; the
 * message names the flag and its environment variable. An unreachable control plane is never a
 * reason to exit.
 */
@Command(name = "sidecar", sortOptions = false, resourceBundle = "dev.vertice.launcher.SidecarCommand$Texts",
    description = {"Registers an app with the control plane without a line of code in the app: keeps its lease"
        + " alive, probes its health (HTTP GET or grpc.health.v1) and pushes every change at once, drains it on"
        + " SIGTERM (DRAINING, wait, deregister), and serves the app the pushed endpoints of its upstreams on a"
        + " local port: GET /v1/endpoints/{service}. With --exec (last) it also starts the app and restarts it"
        + " when it exits or stops answering its probe.",
        "Every option can also be set with the environment variable shown; flags win."},
    footer = {"", "Durations are whole numbers with ms, s, m or h (e.g. 500ms, 30s, 5m).",
        "Exit codes: 0 after a clean drain, 1 on a run-time failure, 2 on invalid configuration."})
public final class SidecarCommand implements Callable<Integer> {

  private static final Logger log = Logger.getLogger("vertice.sidecar");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  // No standard --version flag: --version sets the version label.
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
  boolean help;

  @Option(names = "--service-name", defaultValue = "${env:VERTICE_SERVICE_NAME}",
      description = "Service the app belongs to; OSINT_SERVICE style names normalise to osint-service"
          + " (VERTICE_SERVICE_NAME). Required.")
  String service;

  @Option(names = "--address", defaultValue = "${env:VERTICE_ADDRESS:-127.0.0.1}",
      description = "Address the app is reached at, registered and probed (VERTICE_ADDRESS). Default: ${DEFAULT-VALUE}.")
  String address;

  @Option(names = "--port", defaultValue = "${env:VERTICE_PORT}",
      description = "The app's port (VERTICE_PORT). Required.")
  Integer port;

  @Option(names = "--protocol", defaultValue = "${env:VERTICE_PROTOCOL:-http}",
      description = "http or grpc: how the app is probed and registered (VERTICE_PROTOCOL). Default: ${DEFAULT-VALUE}.")
  String protocol;

  @Option(names = "--instance-id", defaultValue = "${env:VERTICE_INSTANCE_ID:-}",
      description = "Instance id (VERTICE_INSTANCE_ID). Default: address:port, stable across restarts.")
  String instanceId;

  @Option(names = "--version", defaultValue = "${env:VERTICE_VERSION:-v1}",
      description = "Version label, for canary subsets (VERTICE_VERSION). Default: ${DEFAULT-VALUE}.")
  String version;

  @Option(names = "--zone", defaultValue = "${env:VERTICE_ZONE:-}",
      description = "Zone or locality (VERTICE_ZONE). Default: none.")
  String zone;

  @Option(names = "--weight", defaultValue = "${env:VERTICE_WEIGHT:-100}",
      description = "Load-balancing weight, 1-10000 (VERTICE_WEIGHT). Default: ${DEFAULT-VALUE}.")
  int weight;

  @Option(names = "--metadata", defaultValue = "${env:VERTICE_METADATA:-}",
      description = "Labels as key=value pairs separated by commas (VERTICE_METADATA). Default: none.")
  String metadata;

  @Option(names = "--health-path", defaultValue = "${env:VERTICE_HEALTH_PATH:-/health}",
      description = "Path probed with HTTP GET; 200-399 is healthy (VERTICE_HEALTH_PATH). Default: ${DEFAULT-VALUE}.")
  String healthPath;

  @Option(names = "--grpc-health-service", defaultValue = "${env:VERTICE_GRPC_HEALTH_SERVICE:-}",
      description = "Service name sent in grpc.health.v1 Check for a grpc app; empty asks about the whole"
          + " server (VERTICE_GRPC_HEALTH_SERVICE). Default: empty.")
  String grpcHealthService;

  @Mixin
  ControlPlaneAddressFlag controlPlane;

  @Option(names = "--upstreams", defaultValue = "${env:VERTICE_UPSTREAMS:-}",
      description = "Services the app calls, separated by commas: their endpoints are pushed to the sidecar and"
          + " served on the local API (VERTICE_UPSTREAMS). Default: none.")
  String upstreams;

  @Option(names = "--probe-interval", defaultValue = "${env:VERTICE_PROBE_INTERVAL:-5s}",
      converter = DurationConverter.class,
      description = "Time between probes (VERTICE_PROBE_INTERVAL). Default: ${DEFAULT-VALUE}.")
  Duration probeInterval;

  @Option(names = "--probe-timeout", defaultValue = "${env:VERTICE_PROBE_TIMEOUT:-1s}",
      converter = DurationConverter.class,
      description = "Time one probe may take; longer counts as a failure (VERTICE_PROBE_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration probeTimeout;

  @Option(names = "--success-threshold", defaultValue = "${env:VERTICE_SUCCESS_THRESHOLD:-1}",
      description = "Consecutive successes that make an unhealthy app SERVING (VERTICE_SUCCESS_THRESHOLD)."
          + " Default: ${DEFAULT-VALUE}.")
  int successThreshold;

  @Option(names = "--failure-threshold", defaultValue = "${env:VERTICE_FAILURE_THRESHOLD:-3}",
      description = "Consecutive failures that make a healthy app NOT_SERVING (VERTICE_FAILURE_THRESHOLD)."
          + " Default: ${DEFAULT-VALUE}.")
  int failureThreshold;

  @Option(names = "--ttl", defaultValue = "${env:VERTICE_TTL:-60s}", converter = DurationConverter.class,
      description = "Lease TTL asked for (VERTICE_TTL). Default: ${DEFAULT-VALUE}.")
  Duration ttl;

  @Option(names = "--keepalive-interval", defaultValue = "${env:VERTICE_KEEPALIVE_INTERVAL:-30s}",
      converter = DurationConverter.class,
      description = "Interval of lease keepalives; shorter than the TTL (VERTICE_KEEPALIVE_INTERVAL). Default: ${DEFAULT-VALUE}.")
  Duration keepalive;

  @Option(names = "--drain-period", defaultValue = "${env:VERTICE_DRAIN_PERIOD:-10s}",
      converter = DurationConverter.class,
      description = "Longest wait between DRAINING and deregistration on SIGTERM (VERTICE_DRAIN_PERIOD)."
          + " Default: ${DEFAULT-VALUE}.")
  Duration drainPeriod;

  @Option(names = "--inflight-url", defaultValue = "${env:VERTICE_INFLIGHT_URL:-}",
      description = "Optional app endpoint reporting its requests in flight (HTTP GET answering N or"
          + " {\"inflight\":N}); the drain ends early once it reads 0 (VERTICE_INFLIGHT_URL). Default: none.")
  String inflightUrl;

  @Option(names = "--drain-settle", defaultValue = "${env:VERTICE_DRAIN_SETTLE:-1s}",
      converter = DurationConverter.class,
      description = "Time after DRAINING before the in-flight count may end the drain: gateways receive the push"
          + " and requests already routed arrive (VERTICE_DRAIN_SETTLE). Default: ${DEFAULT-VALUE}.")
  Duration drainSettle;

  @Option(names = "--api-host", defaultValue = "${env:VERTICE_API_HOST:-127.0.0.1}",
      description = "Address of the local API for the app (VERTICE_API_HOST). Default: ${DEFAULT-VALUE}.")
  String apiHost;

  @Option(names = "--api-port", defaultValue = "${env:VERTICE_API_PORT:-15000}",
      description = "Port of the local API; 0 picks a free one (VERTICE_API_PORT). Default: ${DEFAULT-VALUE}.")
  int apiPort;

  // The admin port is for Prometheus and orchestrator probes, which come from other hosts or
  // containers: unlike the local API (the app's, on the loopback) it listens on every interface by
  // default, as the gateway's and the control plane's admin ports do. It serves read-only
  // metrics and readiness only.
  @Option(names = "--admin-host", defaultValue = "${env:VERTICE_ADMIN_HOST:-0.0.0.0}",
      description = "Address the admin port listens on; 127.0.0.1 keeps it local (VERTICE_ADMIN_HOST)."
          + " Default: ${DEFAULT-VALUE} (every interface, so that Prometheus can scrape it).")
  String adminHost;

  @Option(names = "--admin-port", defaultValue = "${env:VERTICE_ADMIN_PORT:-9702}",
      description = "Admin HTTP port serving /metrics (Prometheus) and /healthz (200 while registered); 0 picks"
          + " a free one, -1 turns it off (VERTICE_ADMIN_PORT). Default: ${DEFAULT-VALUE}.")
  int adminPort;

  @Option(names = "--call-timeout", defaultValue = "${env:VERTICE_CALL_TIMEOUT:-5s}",
      converter = DurationConverter.class,
      description = "Deadline of each call to the control plane (VERTICE_CALL_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration callTimeout;

  @Option(names = "--backoff-initial", defaultValue = "${env:VERTICE_BACKOFF_INITIAL:-100ms}",
      converter = DurationConverter.class,
      description = "First retry delay while the control plane is unreachable, growing x1.6 with ±20%% jitter"
          + " (VERTICE_BACKOFF_INITIAL). Default: ${DEFAULT-VALUE}.")
  Duration backoffInitial;

  @Option(names = "--backoff-max", defaultValue = "${env:VERTICE_BACKOFF_MAX:-5s}", converter = DurationConverter.class,
      description = "Longest retry delay while the control plane is unreachable (VERTICE_BACKOFF_MAX)."
          + " Default: ${DEFAULT-VALUE}.")
  Duration backoffMax;

  // TLS (issue 9): the local API and admin port, then the control-plane connection.
  @Option(names = "--tls-cert", defaultValue = "${env:VERTICE_TLS_CERT:-}",
      description = "PEM certificate chain of the local API and the admin port; with --tls-key they serve HTTPS,"
          + " reloaded when the file changes (VERTICE_TLS_CERT). Default: none (plain HTTP, with a warning).")
  String tlsCert;

  @Option(names = "--tls-key", defaultValue = "${env:VERTICE_TLS_KEY:-}",
      description = "PKCS#8 PEM private key of --tls-cert (VERTICE_TLS_KEY). Default: none.")
  String tlsKey;

  @Option(names = "--tls-client-ca", defaultValue = "${env:VERTICE_TLS_CLIENT_CA:-}",
      description = "PEM CA bundle that the app's client certificates are verified against on the local API"
          + " (mutual TLS) (VERTICE_TLS_CLIENT_CA). Default: none.")
  String tlsClientCa;

  @Option(names = "--tls-client-auth", defaultValue = "${env:VERTICE_TLS_CLIENT_AUTH:-}",
      description = "none, optional or require: whether the local API asks for client certificates"
          + " (VERTICE_TLS_CLIENT_AUTH). Default: require with --tls-client-ca, else none.")
  String tlsClientAuth;

  @Option(names = "--tls-refresh", defaultValue = "${env:VERTICE_TLS_REFRESH:-30s}", converter = DurationConverter.class,
      description = "How often the certificate, key and CA files (listener and control plane) are checked for"
          + " changes (VERTICE_TLS_REFRESH). Default: ${DEFAULT-VALUE}.")
  Duration tlsRefresh;

  @Mixin
  ControlPlaneTlsFlags controlPlaneTls;

  // Supervision of the app (issue 19, R10). --exec comes last: everything after it is the app's
  // command line, its own flags included, so that no quoting is needed.
  @Option(names = "--exec", arity = "1..*", paramLabel = "CMD", parameterConsumer = RestOfLine.class,
      description = "Starts the app as a child process and supervises it: every argument after --exec is the"
          + " app's command line (put --exec last). The sidecar restarts the app when it exits or fails its probe"
          + " for --restart-after-unhealthy, with backoff, up to the crash-loop limit; on SIGTERM it drains, then"
          + " stops the app (SIGTERM, SIGKILL after --app-stop-grace). No environment variable. Default: none"
          + " (the app runs on its own).")
  List<String> exec = List.of();

  @Option(names = "--restart-after-unhealthy", defaultValue = "${env:VERTICE_RESTART_AFTER_UNHEALTHY:-}",
      description = "With --exec: how long the app may go without a good probe after its last one before it is"
          + " stopped and restarted; at least --probe-interval (VERTICE_RESTART_AFTER_UNHEALTHY)."
          + " Default: 6 probe intervals (30s at the default interval).")
  String restartAfterUnhealthy;

  @Option(names = "--app-start-timeout", defaultValue = "${env:VERTICE_APP_START_TIMEOUT:-60s}",
      converter = DurationConverter.class,
      description = "With --exec: time the app has after each start to answer its first good probe before it is"
          + " stopped and restarted (VERTICE_APP_START_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration appStartTimeout;

  @Option(names = "--restart-backoff-initial", defaultValue = "${env:VERTICE_RESTART_BACKOFF_INITIAL:-1s}",
      converter = DurationConverter.class,
      description = "With --exec: delay before the first restart, doubling with ±20%% jitter after each one and"
          + " starting over once the app stayed healthy for a crash-loop window (VERTICE_RESTART_BACKOFF_INITIAL)."
          + " Default: ${DEFAULT-VALUE}.")
  Duration restartBackoffInitial;

  @Option(names = "--restart-backoff-max", defaultValue = "${env:VERTICE_RESTART_BACKOFF_MAX:-30s}",
      converter = DurationConverter.class,
      description = "With --exec: longest delay before a restart (VERTICE_RESTART_BACKOFF_MAX). Default: ${DEFAULT-VALUE}.")
  Duration restartBackoffMax;

  @Option(names = "--crash-loop-restarts", defaultValue = "${env:VERTICE_CRASH_LOOP_RESTARTS:-5}",
      description = "With --exec: restarts within --crash-loop-window after which the app stays down (crash loop:"
          + " NOT_SERVING, /healthz 503, vertice_sidecar_app_crash_loop 1) (VERTICE_CRASH_LOOP_RESTARTS)."
          + " Default: ${DEFAULT-VALUE}.")
  int crashLoopRestarts;

  @Option(names = "--crash-loop-window", defaultValue = "${env:VERTICE_CRASH_LOOP_WINDOW:-5m}",
      converter = DurationConverter.class,
      description = "With --exec: the window in which restarts are counted (VERTICE_CRASH_LOOP_WINDOW)."
          + " Default: ${DEFAULT-VALUE}.")
  Duration crashLoopWindow;

  @Option(names = "--app-stop-grace", defaultValue = "${env:VERTICE_APP_STOP_GRACE:-10s}",
      converter = DurationConverter.class,
      description = "With --exec: time between SIGTERM and SIGKILL when the app is stopped, after a drain or for"
          + " failing its probe (VERTICE_APP_STOP_GRACE). Default: ${DEFAULT-VALUE}.")
  Duration appStopGrace;

  /** Takes every remaining argument as the app's command line (a leading {@code --} is skipped). */
  static final class RestOfLine implements CommandLine.IParameterConsumer {
    @Override
    public void consumeParameters(java.util.Stack<String> args, CommandLine.Model.ArgSpec argSpec,
        CommandLine.Model.CommandSpec commandSpec) {
      List<String> command = new java.util.ArrayList<>();
      while (!args.isEmpty()) {
        command.add(args.pop());
      }
      if (!command.isEmpty() && command.get(0).equals("--")) {
        command.remove(0);
      }
      if (command.isEmpty()) {
        throw new CommandLine.ParameterException(commandSpec.commandLine(),
            "invalid --exec: the app's command line is missing (put it after --exec)", argSpec, "");
      }
      argSpec.setValue(command);
    }
  }

  /** What the shared control-plane flags say in this command. */
  public static final class Texts extends FlagTexts {
    /** {@code Texts} holds the sidecar's words; picocli loads it by name. */
    public Texts() {
      super("localhost:7700", null, null);
    }
  }

  /** Checks and loads the TLS flags; a bad one ends the command with exit code 2 naming it. */
  private Material tls() {
    try {
      return TlsFlagRules.load(ListenerFlags.TLS, tlsCert, tlsKey, tlsClientCa, tlsClientAuth,
          ClientFlags.CONTROL_PLANE, controlPlaneTls.ca, controlPlaneTls.cert, controlPlaneTls.key,
          controlPlaneTls.tokenFile, tlsRefresh);
    } catch (TlsFlagRules.InvalidFlagException e) {
      check(e.flag(), false, e.problem());
      throw e;
    }
  }

  /** The one warning line naming what is plaintext, or null when everything is TLS. */
  static String plaintextWarning(boolean apiTls, boolean adminOn, boolean controlPlaneTls) {
    java.util.List<String> plain = new java.util.ArrayList<>();
    if (!apiTls) {
      plain.add(adminOn ? "the local API and the admin port" : "the local API");
    }
    if (!controlPlaneTls) {
      plain.add("the control-plane connection");
    }
    return plain.isEmpty() ? null : "PLAINTEXT: " + String.join(", ", plain)
        + (plain.size() == 1 && !plain.get(0).contains(" and ") ? " is" : " are")
        + " not encrypted; set --tls-cert and --tls-key (local API) and --control-plane-ca (control plane)"
        + " outside development";
  }

  /**
   * Runs the sidecar as its own process: {@code ./vertice sidecar} starts this class rather than
   * {@link Main}, so that a sidecar's JVM loads no other command's classes.
   */
  public static void main(String[] args) {
    ProcessDefaults.apply();
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command line and returns the exit code (for tests). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = commandLine();
    cli.setOut(out);
    cli.setErr(err);
    return cli.execute(args);
  }

  /**
   * {@code commandLine} returns the command, with error messages that name each flag's
   * environment variable too.
   */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new SidecarCommand());
    cli.setParameterExceptionHandler((e, args) -> {
      PrintWriter err = e.getCommandLine().getErr();
      String message = e.getMessage();
      CommandLine.Model.ArgSpec arg = e.getArgSpec();
      if (arg instanceof CommandLine.Model.OptionSpec o && !message.contains(envOf(o.longestName()))) {
        message = message + " (" + o.longestName() + ", " + envOf(o.longestName()) + ")";
      }
      err.println(message);
      err.println("Run with --help for every setting.");
      return 2;
    });
    return cli;
  }

  /** Returns the environment variable of {@code --some-flag}: VERTICE_SOME_FLAG. */
  static String envOf(String flag) {
    String name = flag.replaceFirst("^--", "").replace('-', '_').toUpperCase(java.util.Locale.ROOT);
    return "VERTICE_" + name;
  }

  @Override
  public Integer call() throws InterruptedException {
    SidecarConfig config = config();
    check("--admin-port", adminPort >= -1 && adminPort <= 65535, adminPort + " is outside -1..65535");
    check("--admin-host", adminHost != null && !adminHost.isBlank(), "is empty");
    String adminAt = adminHost == null ? "" : adminHost.strip();
    Material tls = tls();
    // The admin port's metrics without Micrometer, whose registry and binders cost about 3 MiB of RSS (issue 17).
    SmallMetrics metrics = adminPort >= 0 ? SmallMetrics.withJvmMetrics() : null;
    // Off unless the OTEL_* environment configures an exporter.
    dev.vertice.observability.Tracing tracing = dev.vertice.observability.Tracing.fromEnvironment("vertice-sidecar");
    Sidecar.Builder builder = Sidecar.builder(config).tracing(tracing);
    if (tls.listeners() != null) {
      builder.apiTls(tls.listeners());
    }
    if (tls.controlPlane() != null) {
      builder.controlPlaneCredentials(tls.controlPlane().channelCredentials());
    }
    if (tls.token() != null) {
      builder.controlPlaneCallCredentials(tls.token());
    }
    if (metrics != null) {
      builder.meters(metrics);
    }
    Sidecar sidecar = builder.build();
    try {
      sidecar.start();
    } catch (UncheckedIOException e) {
      log.severe(e.getMessage());
      tracing.close();
      tls.close();
      return 1;
    }
    if (metrics != null) {
      try {
        AdminServer admin = AdminServer.bind(adminAt, adminPort, metrics,
            () -> sidecar.registration().map(r -> r.isActive()).orElse(false)
                && sidecar.phase() == Sidecar.Phase.RUNNING,
            tls.listeners() == null ? null : tls.listeners().sslContext());
        if (!config.exec().isEmpty()) {
          // With --exec, /healthz also says what became of the app: 503 and "crash_loop" once it stays down.
          admin.route("/healthz", path -> healthz(sidecar));
        }
        admin.start();
        log.info(() -> "admin: " + (tls.listeners() == null ? "http" : "https") + "://" + adminAt + ":" + admin.port()
            + "/metrics");
        sidecar.stopped().whenComplete((v, e) -> admin.close());
      } catch (IOException | RuntimeException e) {
        sidecar.close();
        tls.close();
        tracing.close();
        log.severe("cannot listen on admin port " + adminAt + ":" + adminPort + " (admin-host, admin-port): "
            + e.getMessage());
        return 1;
      }
    }
    String warning = plaintextWarning(tls.listeners() != null, metrics != null, tls.controlPlane() != null);
    if (warning != null) {
      log.warning(warning);
    }
    log.info(() -> "vertice sidecar ready: " + config + "; local API on " + (tls.listeners() == null ? "http" : "https")
        + "://" + config.apiHost() + ":" + sidecar.apiPort()
        + (tls.controlPlane() == null ? "" : "; control plane over TLS"));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (sidecar.stopped().isDone()) {
        // The sidecar stopped on its own (a rejected registration, an app that cannot start): the JVM
        // exits with the command's code, which halt(0) below would replace.
        return;
      }
      shutdownLine("SIGTERM: draining");
      try {
        // The drain, its control-plane calls, then (with --exec) the app's stop: SIGTERM, SIGKILL after the grace.
        Duration appStop = config.exec().isEmpty() ? Duration.ZERO : config.appStopGrace().plusSeconds(5);
        sidecar.drain().get(config.drainPeriod().plus(config.callTimeout().multipliedBy(3)).plus(appStop).toMillis()
            + 5_000, TimeUnit.MILLISECONDS);
        shutdownLine(config.exec().isEmpty() ? "deregistered; exiting" : "deregistered, app stopped; exiting");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        shutdownLine("drain did not finish cleanly: " + e);
      }
      tracing.close(); // flushes the spans of the drain
      tls.close();
      // A clean stop on SIGTERM exits 0, not the JVM's 143.
      Runtime.getRuntime().halt(0);
    }, "vertice-sidecar-shutdown"));
    try {
      sidecar.stopped().get();
      return 0;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof InvalidSettingException invalid) {
        throw invalidSetting(invalid);
      }
      log.severe("sidecar failed: " + e.getCause());
      return 1;
    }
  }

  /** {@code /healthz} of a sidecar that supervises its app. */
  static AdminServer.Response healthz(Sidecar sidecar) {
    boolean registered = sidecar.registration().map(r -> r.isActive()).orElse(false)
        && sidecar.phase() == Sidecar.Phase.RUNNING;
    dev.vertice.sidecar.AppStatus app = sidecar.app().orElseThrow();
    String appJson = ",\"app\":\"" + app.state().name().toLowerCase(java.util.Locale.ROOT) + "\",\"restarts\":"
        + app.restarts();
    if (app.state() == dev.vertice.sidecar.AppStatus.State.CRASH_LOOP) {
      return AdminServer.Response.json(503, "{\"status\":\"crash_loop\"" + appJson + "}");
    }
    return registered ? AdminServer.Response.json(200, "{\"status\":\"ok\"" + appJson + "}")
        : AdminServer.Response.json(503, "{\"status\":\"not ready\"" + appJson + "}");
  }

  private SidecarConfig config() {
    check("--service-name", service != null && !service.isBlank(), "is required");
    check("--port", port != null, "is required");
    check("--protocol", protocol.equals("http") || protocol.equals("grpc"), "'" + protocol + "' is not http or grpc");
    try {
      SidecarConfig.Builder b = SidecarConfig.custom(service, port)
          .address(address)
          .protocol(protocol.equals("grpc") ? Protocol.PROTOCOL_GRPC : Protocol.PROTOCOL_HTTP)
          .instanceId(instanceId)
          .version(version)
          .zone(zone)
          .weight(weight)
          .metadata(metadata())
          .healthPath(healthPath)
          .grpcHealthService(grpcHealthService)
          .controlPlane(controlPlane.value())
          .upstreams(List.of(upstreams.split(",")))
          .probeInterval(probeInterval)
          .probeTimeout(probeTimeout)
          .successThreshold(successThreshold)
          .failureThreshold(failureThreshold)
          .ttl(ttl)
          .keepalive(keepalive)
          .drainPeriod(drainPeriod)
          .drainSettle(drainSettle)
          .apiHost(apiHost)
          .apiPort(apiPort)
          .callTimeout(callTimeout)
          .backoffInitial(backoffInitial)
          .backoffMax(backoffMax)
          .exec(exec)
          .restartBackoffInitial(restartBackoffInitial)
          .restartBackoffMax(restartBackoffMax)
          .crashLoopRestarts(crashLoopRestarts)
          .crashLoopWindow(crashLoopWindow)
          .appStopGrace(appStopGrace)
          .appStartTimeout(appStartTimeout);
      if (!restartAfterUnhealthy.isBlank()) {
        b.restartAfterUnhealthy(duration("--restart-after-unhealthy", restartAfterUnhealthy));
      }
      if (!inflightUrl.isBlank()) {
        try {
          b.inflightUrl(new URI(inflightUrl.strip()));
        } catch (URISyntaxException e) {
          check("--inflight-url", false, "'" + inflightUrl + "' is not a URL: " + e.getMessage());
        }
      }
      return b.build();
    } catch (InvalidSettingException e) {
      // Each setter checks its value at once, build() the settings that depend on each other.
      throw invalidSetting(e);
    }
  }

  /** Reads a duration flag that may be empty (its default is derived), naming it when invalid. */
  private Duration duration(String option, String value) {
    try {
      return new DurationConverter().convert(value);
    } catch (CommandLine.TypeConversionException e) {
      check(option, false, e.getMessage());
      throw e;
    }
  }

  private Map<String, String> metadata() {
    Map<String, String> m = new LinkedHashMap<>();
    for (String pair : metadata.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      check("--metadata", eq > 0, "'" + pair.strip() + "' is not key=value");
      m.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
    }
    return m;
  }

  private CommandLine.ParameterException invalidSetting(InvalidSettingException e) {
    String flag = "--" + e.setting();
    // --exec has no environment variable: the app's command line is not one string.
    String env = flag.equals("--exec") ? "" : " (" + envOf(flag) + ")";
    return new CommandLine.ParameterException(spec.commandLine(), "invalid " + flag + env + ": "
        + e.getMessage().substring(e.setting().length() + 2));
  }

  private void check(String option, boolean ok, String problem) {
    if (!ok) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + " (" + envOf(option) + "): "
          + problem);
    }
  }

  private static void shutdownLine(String message) {
    Logging.shutdownLine(log.getName(), message);
  }
}
