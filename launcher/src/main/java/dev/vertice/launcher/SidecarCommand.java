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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * {@code SidecarCommand} runs one {@link Sidecar} until SIGTERM (then drains and exits 0).
 *
 * <p>Exit codes: 0 after a drain, 1 on a run-time failure (the local API's port taken), 2 on
 * invalid configuration, including a registration the control plane rejects as invalid; the
 * message names the flag and its environment variable. An unreachable control plane is never a
 * reason to exit.
 *
 * <p>Its command line is {@link SidecarFlags}, not picocli: {@code ./vertice sidecar} starts this
 * class's {@link #main}, and {@code vertice sidecar} through {@link Main} hands its arguments here.
 */
public final class SidecarCommand {

  private static final Logger log = Logger.getLogger("vertice.sidecar");

  private final SidecarFlags.Parsed flags;

  private SidecarCommand(SidecarFlags.Parsed flags) {
    this.flags = flags;
  }

  /** Checks and loads the TLS flags; a bad one ends the command with exit code 2 naming it. */
  private Material tls() {
    try {
      return TlsFlagRules.load(ListenerFlags.TLS, flags.string("--tls-cert"), flags.string("--tls-key"),
          flags.string("--tls-client-ca"), flags.string("--tls-client-auth"), ClientFlags.CONTROL_PLANE,
          flags.string("--control-plane-ca"), flags.string("--control-plane-cert"),
          flags.string("--control-plane-key"), flags.string("--control-plane-token-file"),
          flags.duration("--tls-refresh"));
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

  /** Runs the command line and returns the exit code (for tests, and {@link Main}'s {@code sidecar}). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    try {
      SidecarFlags.Parsed flags = SidecarFlags.parse(List.of(args), System.getenv());
      if (flags.help()) {
        SidecarFlags.printHelp(out);
        return 0;
      }
      return new SidecarCommand(flags).call();
    } catch (SidecarFlags.InvalidFlagException e) {
      err.println(e.getMessage());
      err.println("Run with --help for every setting.");
      err.flush();
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (RuntimeException e) {
      e.printStackTrace(err);
      err.flush();
      return 1;
    }
  }

  private int call() throws InterruptedException {
    SidecarConfig config = config();
    int adminPort = flags.integer("--admin-port");
    String adminHost = flags.string("--admin-host");
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
    String service = flags.string("--service-name");
    Integer port = flags.integer("--port");
    String protocol = flags.string("--protocol");
    check("--service-name", service != null && !service.isBlank(), "is required");
    check("--port", port != null, "is required");
    check("--protocol", protocol.equals("http") || protocol.equals("grpc"), "'" + protocol + "' is not http or grpc");
    try {
      SidecarConfig.Builder b = SidecarConfig.custom(service, port)
          .address(flags.string("--address"))
          .protocol(protocol.equals("grpc") ? Protocol.PROTOCOL_GRPC : Protocol.PROTOCOL_HTTP)
          .instanceId(flags.string("--instance-id"))
          .version(flags.string("--version"))
          .zone(flags.string("--zone"))
          .weight(flags.integer("--weight"))
          .metadata(metadata())
          .healthPath(flags.string("--health-path"))
          .grpcHealthService(flags.string("--grpc-health-service"))
          .controlPlane(flags.string("--control-plane"))
          .upstreams(List.of(flags.string("--upstreams").split(",")))
          .probeInterval(flags.duration("--probe-interval"))
          .probeTimeout(flags.duration("--probe-timeout"))
          .successThreshold(flags.integer("--success-threshold"))
          .failureThreshold(flags.integer("--failure-threshold"))
          .ttl(flags.duration("--ttl"))
          .keepalive(flags.duration("--keepalive-interval"))
          .drainPeriod(flags.duration("--drain-period"))
          .drainSettle(flags.duration("--drain-settle"))
          .apiHost(flags.string("--api-host"))
          .apiPort(flags.integer("--api-port"))
          .callTimeout(flags.duration("--call-timeout"))
          .backoffInitial(flags.duration("--backoff-initial"))
          .backoffMax(flags.duration("--backoff-max"))
          .exec(flags.exec())
          .restartBackoffInitial(flags.duration("--restart-backoff-initial"))
          .restartBackoffMax(flags.duration("--restart-backoff-max"))
          .crashLoopRestarts(flags.integer("--crash-loop-restarts"))
          .crashLoopWindow(flags.duration("--crash-loop-window"))
          .appStopGrace(flags.duration("--app-stop-grace"))
          .appStartTimeout(flags.duration("--app-start-timeout"));
      if (!flags.string("--restart-after-unhealthy").isBlank()) {
        b.restartAfterUnhealthy(flags.duration("--restart-after-unhealthy"));
      }
      String inflightUrl = flags.string("--inflight-url");
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

  private Map<String, String> metadata() {
    Map<String, String> m = new LinkedHashMap<>();
    for (String pair : flags.string("--metadata").split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      check("--metadata", eq > 0, "'" + pair.strip() + "' is not key=value");
      m.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
    }
    return m;
  }

  private static SidecarFlags.InvalidFlagException invalidSetting(InvalidSettingException e) {
    return SidecarFlags.invalid("--" + e.setting(), e.getMessage().substring(e.setting().length() + 2));
  }

  private static void check(String option, boolean ok, String problem) {
    if (!ok) {
      throw SidecarFlags.invalid(option, problem);
    }
  }

  private static void shutdownLine(String message) {
    Logging.shutdownLine(log.getName(), message);
  }
}
