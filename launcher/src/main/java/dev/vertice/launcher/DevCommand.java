package dev.vertice.launcher;

import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.StatsReporter;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.metrics.ControlPlaneMetrics;
import dev.vertice.demo.SeedServices;
import dev.vertice.gateway.Gateway;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.observability.AdminServer;
import dev.vertice.observability.GrpcServerMetrics;
import dev.vertice.observability.Metrics;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code DevCommand} runs the whole system in this JVM, in the foreground: the control plane on the
 * in-memory store, the gateway, and the seed's demo services each behind a sidecar (a few with a v2
 * candidate). It prints one line starting {@code vertice dev ready} once every instance is
 * registered SERVING and routable through the gateway, then what to try. SIGTERM or Ctrl-C stops
 * everything (sidecars drain and deregister) and exits 0.
 */
@Command(name = "dev", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Runs everything on one machine, in the foreground and in one process: the control plane"
        + " (in-memory store), the gateway, and the seed's 22 demo services each behind a sidecar, a few with a"
        + " v2 candidate for canary rollouts. Prints what to try once ready; Ctrl-C stops it all.",
        "Every option can also be set with the environment variable shown; flags win."},
    footer = {"", "Durations are whole numbers with ms, s, m or h (e.g. 500ms, 30s, 5m).",
        "Exit codes: 0 after a clean shutdown, 1 on a run-time failure (a port taken, not ready in time),"
            + " 2 on invalid configuration."})
public final class DevCommand implements Callable<Integer> {

  private static final Logger log = Logger.getLogger("vertice.dev");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--host", defaultValue = "${env:VERTICE_DEV_HOST:-127.0.0.1}",
      description = "Address every part listens on (VERTICE_DEV_HOST). Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", defaultValue = "${env:VERTICE_DEV_PORT:-8080}",
      description = "Gateway HTTP port; 0 picks a free one (VERTICE_DEV_PORT). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--grpc-port", defaultValue = "${env:VERTICE_DEV_GRPC_PORT:-8081}",
      description = "Gateway gRPC port; 0 picks a free one, -1 turns it off (VERTICE_DEV_GRPC_PORT)."
          + " Default: ${DEFAULT-VALUE}.")
  int grpcPort;

  @Option(names = "--control-plane-port", defaultValue = "${env:VERTICE_DEV_CONTROL_PLANE_PORT:-7700}",
      description = "Control-plane gRPC port; 0 picks a free one (VERTICE_DEV_CONTROL_PLANE_PORT)."
          + " Default: ${DEFAULT-VALUE}.")
  int controlPlanePort;

  @Option(names = "--admin-port", defaultValue = "${env:VERTICE_DEV_ADMIN_PORT:-9700}",
      description = "Control-plane admin port (/metrics, /healthz); 0 picks a free one, -1 turns it off"
          + " (VERTICE_DEV_ADMIN_PORT). Default: ${DEFAULT-VALUE}.")
  int adminPort;

  @Option(names = "--services", split = ",", defaultValue = "${env:VERTICE_DEV_SERVICES:-seed}",
      description = "Demo services, comma-separated; 'seed' stands for the seed's 22 (VERTICE_DEV_SERVICES)."
          + " Default: ${DEFAULT-VALUE}.")
  List<String> services;

  @Option(names = "--candidates", split = ",",
      defaultValue = "${env:VERTICE_DEV_CANDIDATES:-test-service,osint-service,immunis-api}",
      description = "Services that also get a v2 instance, comma-separated; 'none' for none"
          + " (VERTICE_DEV_CANDIDATES). Default: ${DEFAULT-VALUE}.")
  List<String> candidates;

  @Option(names = "--probe-interval", defaultValue = "${env:VERTICE_DEV_PROBE_INTERVAL:-2s}",
      converter = DurationConverter.class,
      description = "How often each sidecar probes its app (VERTICE_DEV_PROBE_INTERVAL). Default: ${DEFAULT-VALUE}.")
  Duration probeInterval;

  @Option(names = "--ready-timeout", defaultValue = "${env:VERTICE_DEV_READY_TIMEOUT:-60s}",
      converter = DurationConverter.class,
      description = "Longest wait for every instance to be routable; exit 1 beyond (VERTICE_DEV_READY_TIMEOUT)."
          + " Default: ${DEFAULT-VALUE}.")
  Duration readyTimeout;

  @CommandLine.Mixin
  ConsoleFlags consoleFlags = new ConsoleFlags();

  @Override
  public Integer call() throws Exception {
    long startNanos = System.nanoTime();
    List<String> names = serviceNames();
    List<String> v2 = candidateNames(names);
    check("--host", !host.isBlank(), "is empty");
    check("--port", port >= 0 && port <= 65535, port + " is outside 0..65535");
    check("--grpc-port", grpcPort >= -1 && grpcPort <= 65535, grpcPort + " is outside -1..65535");
    check("--control-plane-port", controlPlanePort >= 0 && controlPlanePort <= 65535,
        controlPlanePort + " is outside 0..65535");
    check("--admin-port", adminPort >= -1 && adminPort <= 65535, adminPort + " is outside -1..65535");
    check("--probe-interval", probeInterval.compareTo(Duration.ofMillis(100)) >= 0, "is below 100ms");
    check("--ready-timeout", readyTimeout.compareTo(Duration.ofSeconds(1)) >= 0, "is below 1s");
    dev.vertice.console.ConsoleConfig consoleConfig = consoleFlags.config(spec.commandLine());
    GatewayConfig gatewayConfig;
    try {
      gatewayConfig = GatewayConfig.custom().host(host).port(port).grpcPort(grpcPort).shutdownGrace(
          Duration.ofSeconds(2)).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }

    // Said once and plainly: dev mode is the one mode that runs without TLS on purpose.
    log.info("dev mode: plaintext, no auth: anyone who can reach " + host + " can read and steer the registry;"
        + " for anything else run control-plane with --tls-cert and --tls-key");
    Parts parts = new Parts();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Logging.shutdownLine(log.getName(), "shutting down: draining the sidecars, then the gateway and control plane");
      parts.stop();
      Logging.shutdownLine(log.getName(), "stopped");
      Runtime.getRuntime().halt(0);
    }, "vertice-dev-shutdown"));
    try {
      parts.start(names, v2, gatewayConfig, consoleConfig);
    } catch (IOException | IllegalStateException e) {
      log.severe("cannot start: " + e.getMessage());
      parts.stop();
      return 1;
    }
    long deadline = System.nanoTime() + readyTimeout.toNanos();
    while (!parts.ready(names, v2)) {
      if (System.nanoTime() > deadline) {
        log.severe("not ready after " + readyTimeout.toMillis() + " ms: " + parts.fleet.registered() + " of "
            + parts.fleet.members().size() + " instances registered SERVING");
        parts.stop();
        return 1;
      }
      Thread.sleep(20);
    }
    long readyMs = (System.nanoTime() - startNanos) / 1_000_000;
    long sinceJvm = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
    PrintWriter out = spec.commandLine().getOut();
    String gw = "http://" + host + ":" + parts.gateway.port();
    String cp = host + ":" + parts.server.port();
    out.printf("vertice dev ready in %d ms (%d ms since JVM start): gateway %s, control plane %s, %d services,"
        + " %d instances%n", readyMs, sinceJvm, gw, cp, names.size(), parts.fleet.members().size());
    out.println(tryLines(parts, gw, cp, names, v2));
    out.flush();
    new CountDownLatch(1).await(); // until the shutdown hook halts the JVM
    return 0;
  }

  private String tryLines(Parts parts, String gw, String cp, List<String> names, List<String> v2) {
    String svc = names.contains("test-service") ? "test-service" : names.get(0);
    StringBuilder b = new StringBuilder();
    b.append("\nTry:\n");
    b.append("  curl ").append(gw).append('/').append(svc).append("/hello           # a service through the gateway\n");
    b.append("  curl ").append(gw).append("/gateway/health-check/").append(svc).append("   # health-check API\n");
    b.append("  curl ").append(gw).append("/gateway/routes                # the routing table\n");
    b.append("  curl ").append(gw).append("/gateway/status                # gateway status\n");
    if (!v2.isEmpty()) {
      String c = v2.contains(svc) ? svc : v2.get(0);
      b.append("  ./vertice canary start --control-plane ").append(cp).append(" --service ").append(c)
          .append(" --stable v1 --candidate v2 --stage-duration 10s --analysis-interval 2s\n");
      b.append("  ./vertice canary list --control-plane ").append(cp).append('\n');
      b.append("  curl -s -w '\\n' --rate 100/s \"").append(gw).append('/').append(c)
          .append("/hello?n=[1-100000]\"   # traffic for the canary: 100 requests per version per stage\n");
    }
    if (parts.admin != null) {
      b.append("  curl http://").append(host).append(':').append(parts.admin.port())
          .append("/metrics            # control-plane metrics (Prometheus)\n");
    }
    if (parts.console != null) {
      b.append("  open http://").append(host).append(':').append(parts.admin.port())
          .append("/ui/                  # the live web console (services, rollouts, gateways, push)\n");
    }
    if (parts.gateway.grpcPort() >= 0) {
      b.append("  gRPC through the gateway: ").append(host).append(':').append(parts.gateway.grpcPort()).append('\n');
    }
    b.append("Services: ").append(String.join(", ", names)).append('\n');
    if (!v2.isEmpty()) {
      b.append("With a v2 candidate: ").append(String.join(", ", v2)).append('\n');
    }
    b.append("Ctrl-C stops everything.");
    return b.toString();
  }

  /** Everything dev mode runs, started in order and stopped in reverse. */
  private final class Parts {
    volatile ControlPlane controlPlane;
    volatile ControlPlaneServer server;
    volatile AdminServer admin;
    volatile dev.vertice.console.Console console;
    volatile StatsReporter reporter;
    volatile Gateway gateway;
    volatile DemoFleet fleet;
    private final Object lock = new Object();
    private boolean stopped;

    void start(List<String> names, List<String> v2, GatewayConfig gatewayConfig,
        dev.vertice.console.ConsoleConfig consoleConfig) throws IOException, InterruptedException {
      Metrics metrics = Metrics.withJvmMetrics();
      ControlPlaneMetrics cpMetrics = new ControlPlaneMetrics(metrics.registry());
      dev.vertice.console.ConvergenceWindow convergence = new dev.vertice.console.ConvergenceWindow(cpMetrics);
      synchronized (lock) {
        controlPlane = ControlPlane.builder().registryEvents(cpMetrics).convergenceListener(convergence).build();
      }
      cpMetrics.bind(controlPlane);
      if (adminPort >= 0) {
        ControlPlane c = controlPlane;
        try {
          admin = AdminServer.bind(host, adminPort, metrics, () -> c.store().following());
          console = ConsoleFlags.install(consoleConfig, c, admin, null, convergence);
          admin.start();
        } catch (IOException e) {
          throw new IOException("cannot listen on admin port " + host + ":" + adminPort + " (--admin-port): "
              + e.getMessage(), e);
        }
      }
      try {
        server = new ControlPlaneServer(controlPlane, host, controlPlanePort, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES,
            List.of(new GrpcServerMetrics(metrics.registry())));
      } catch (IOException e) {
        throw new IOException("cannot listen on " + host + ":" + controlPlanePort + " (--control-plane-port): "
            + e.getMessage(), e);
      }
      String cp = host + ":" + server.port();
      // Requests in flight per version, for autoscaling: read from the gateway once it runs.
      reporter = StatsReporter.builder().controlPlane(cp).reporter("dev-gateway")
          .inFlight(() -> gateway == null ? java.util.Map.of() : gateway.routingState().inFlight()).build();
      StatsReporter r = reporter;
      try {
        // Development: the routing table and status pages stay on the public port (the Try: lines curl them).
        gateway = Gateway.builder(gatewayConfig).controlPlane(cp).nodeId("dev-gateway").stats(r::record)
            .exposeStatusPages(true).start();
      } catch (IllegalStateException e) {
        throw new IllegalStateException(e.getMessage() + " (--port / --grpc-port)", e);
      }
      fleet = DemoFleet.start(host, cp, names, v2, probeInterval, "dev");
    }

    boolean ready(List<String> names, List<String> v2) {
      if (fleet.registered() < fleet.members().size()) {
        return false;
      }
      for (String n : names) {
        int want = v2.contains(n) ? 2 : 1;
        ServiceSnapshot s = gateway.watchClient().get(n).orElse(null);
        if (s == null || s.serving().size() < want) {
          return false;
        }
      }
      return true;
    }

    void stop() {
      synchronized (lock) {
        if (stopped) {
          return;
        }
        stopped = true;
      }
      if (fleet != null) {
        fleet.drain(Duration.ofSeconds(5));
      }
      if (gateway != null) {
        try {
          gateway.shutdown(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (reporter != null) {
        reporter.close();
      }
      if (server != null) {
        server.stop(Duration.ofSeconds(2));
      }
      if (console != null) {
        console.close();
      }
      if (admin != null) {
        admin.close();
      }
      if (controlPlane != null) {
        controlPlane.close();
      }
    }
  }

  private List<String> serviceNames() {
    List<String> names = new ArrayList<>();
    for (String s : services) {
      String n = s.strip();
      if (n.equals("seed")) {
        SeedServices.NAMES.stream().filter(x -> !names.contains(x)).forEach(names::add);
      } else if (!n.isEmpty()) {
        String canonical = dev.vertice.common.ServiceNames.normalize(n).orElseThrow(() ->
            new CommandLine.ParameterException(spec.commandLine(), "invalid --services: '" + n + "' is not a"
                + " service name (" + dev.vertice.common.ServiceNames.describeRule() + ")"));
        if (!names.contains(canonical)) {
          names.add(canonical);
        }
      }
    }
    check("--services", !names.isEmpty(), "names no service");
    return names;
  }

  private List<String> candidateNames(List<String> names) {
    List<String> v2 = new ArrayList<>();
    for (String s : candidates) {
      String n = s.strip();
      if (n.isEmpty() || n.equals("none")) {
        continue;
      }
      check("--candidates", names.contains(n), "'" + n + "' is not one of --services");
      if (!v2.contains(n)) {
        v2.add(n);
      }
    }
    return v2;
  }

  private void check(String option, boolean ok, String problem) {
    if (!ok) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + problem);
    }
  }
}
