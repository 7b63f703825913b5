package dev.vertice.launcher;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ClusterServicesCommand} is {@code cluster services}: the demo services behind sidecars, one
 * JVM; started by {@code cluster up} and by compose/.
 */
@Command(name = "services", mixinStandardHelpOptions = true, sortOptions = false,
    resourceBundle = "dev.vertice.launcher.ClusterServicesCommand$Texts",
    description = "Runs demo HTTP services, each behind its own sidecar, in one JVM until SIGTERM (then the"
        + " sidecars drain and deregister). Used by cluster up and by compose/.",
    footer = {"", "Exit codes: 0 after a clean shutdown, 1 when a port is taken, 2 on invalid configuration."})
public final class ClusterServicesCommand implements Callable<Integer> {

  private static final Logger log = Logger.getLogger("vertice.cluster");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin
  ControlPlaneAddressFlag controlPlaneFlag;

  /** What the shared control-plane flag says in this command. */
  public static final class Texts extends FlagTexts {
    /** {@code Texts} holds this command's words; picocli loads it by name. */
    public Texts() {
      super("127.0.0.1:7700",
          "Control-plane replicas, host:port,... (VERTICE_CONTROL_PLANE). Default: ${DEFAULT-VALUE}.", null);
    }
  }

  @Option(names = "--services", split = ",", defaultValue = "${env:VERTICE_SERVICES:-seed}",
      description = "Services, comma-separated; 'seed' stands for the seed's 22 (VERTICE_SERVICES)."
          + " Default: ${DEFAULT-VALUE}.")
  List<String> services;

  @Option(names = "--candidates", split = ",", defaultValue = "${env:VERTICE_CANDIDATES:-}",
      description = "Services that also get a v2 instance (VERTICE_CANDIDATES). Default: none.")
  List<String> candidates;

  @Option(names = "--bind-host", defaultValue = "${env:VERTICE_BIND_HOST:-127.0.0.1}",
      description = "Address the demo apps listen on (VERTICE_BIND_HOST). Default: ${DEFAULT-VALUE}.")
  String bindHost;

  @Option(names = "--address", defaultValue = "${env:VERTICE_ADDRESS:-127.0.0.1}",
      description = "Address the apps are registered and probed at (VERTICE_ADDRESS). Default: ${DEFAULT-VALUE}.")
  String address;

  @Option(names = "--port", defaultValue = "${env:VERTICE_PORT:-0}",
      description = "Port of the first app, the next ones following (v1s, then v2s); 0 picks free ports"
          + " (VERTICE_PORT). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--admin-host", defaultValue = "${env:VERTICE_ADMIN_HOST:-127.0.0.1}",
      description = "Address of the admin port (VERTICE_ADMIN_HOST); 0.0.0.0 lets Prometheus in another container"
          + " scrape it. Default: ${DEFAULT-VALUE}.")
  String adminHost;

  @Option(names = "--admin-port", defaultValue = "${env:VERTICE_ADMIN_PORT:--1}",
      description = "Admin HTTP port serving the sidecars' /metrics (counters summed over them) and /healthz (200"
          + " while every instance is registered); 0 picks a free one, -1 turns it off (VERTICE_ADMIN_PORT)."
          + " Default: ${DEFAULT-VALUE}.")
  int adminPort;

  @Override
  public Integer call() throws Exception {
    String controlPlane = controlPlaneFlag.value();
    List<String> names;
    try {
      names = ClusterState.serviceNames(services);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --services: " + e.getMessage());
    }
    List<String> v2 = candidates.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    for (String c : v2) {
      check("--candidates", names.contains(c), "'" + c + "' is not one of --services");
    }
    check("--port", port >= 0 && port + names.size() + v2.size() - 1 <= 65535, port + " is outside 0..65535"
        + " (with " + (names.size() + v2.size()) + " apps)");
    check("--bind-host", !bindHost.isBlank(), "is empty");
    check("--admin-host", !adminHost.isBlank(), "is empty");
    check("--admin-port", adminPort >= -1 && adminPort <= 65535, adminPort + " is outside -1..65535");
    check("--address", !address.isBlank(), "is empty");
    try {
      dev.vertice.client.ControlPlaneAddresses.parse(controlPlane);
    } catch (IllegalArgumentException e) {
      check("--control-plane", false, e.getMessage());
    }
    DemoFleet fleet;
    // Off unless the OTEL_* environment configures an exporter: spans the sidecars' control-plane calls.
    dev.vertice.observability.Tracing tracing = dev.vertice.observability.Tracing.fromEnvironment("vertice-demo");
    dev.vertice.observability.Metrics metrics = adminPort >= 0 ? dev.vertice.observability.Metrics.withJvmMetrics()
        : null;
    try {
      fleet = DemoFleet.start(bindHost, address, port, controlPlane, names, v2, Duration.ofSeconds(2), "cluster",
          tracing, metrics == null ? null : metrics.registry());
    } catch (IOException e) {
      tracing.close();
      log.severe("cannot start: " + e.getMessage());
      return 1;
    }
    dev.vertice.observability.AdminServer admin = null;
    if (metrics != null) {
      try {
        admin = dev.vertice.observability.AdminServer.bind(adminHost.strip(), adminPort, metrics,
            () -> fleet.registered() == fleet.members().size()).start();
        log.info("admin: http://" + adminHost.strip() + ":" + admin.port() + "/metrics");
      } catch (IOException | RuntimeException e) {
        fleet.close();
        tracing.close();
        log.severe("cannot listen on admin port " + adminHost + ":" + adminPort + ": " + e.getMessage());
        return 1;
      }
    }
    dev.vertice.observability.AdminServer finalAdmin = admin;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Logging.shutdownLine(log.getName(), "draining the sidecars");
      fleet.drain(Duration.ofSeconds(5));
      if (finalAdmin != null) {
        finalAdmin.close();
      }
      tracing.close(); // flushes the spans of the drain
      Logging.shutdownLine(log.getName(), "stopped");
      Runtime.getRuntime().halt(0);
    }, "vertice-cluster-services-shutdown"));
    log.info("started " + fleet.members().size() + " demo instances behind sidecars");
    new CountDownLatch(1).await();
    return 0;
  }

  private void check(String option, boolean ok, String problem) {
    if (!ok) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + problem);
    }
  }
}
