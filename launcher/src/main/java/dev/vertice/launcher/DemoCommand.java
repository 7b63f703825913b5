package dev.vertice.launcher;

import dev.vertice.demo.DemoConfig;
import dev.vertice.demo.DemoService;
import dev.vertice.demo.EchoGrpcServer;
import dev.vertice.demo.EchoHttpServer;
import dev.vertice.demo.SeedServices;
import dev.vertice.observability.Tracing;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code DemoCommand} runs one or more demo services in this JVM until SIGTERM or Ctrl-C.
 *
 * <p>Each started instance prints one line {@code demo <service> <protocol> listening on
 * host:port (instance <id>, version <v>)} on standard output.
 */
@Command(name = "demo", sortOptions = false,
    description = {"Runs demo echo services (HTTP or gRPC) in one JVM: 200 with a JSON body naming service,"
        + " instance and version on any path; GET /health; POST /admin/health {\"serving\":false} fails the"
        + " health; GET /admin/inflight. The gRPC variant serves vertice.demo.v1.EchoService and grpc.health.v1.",
        "Every option can also be set with the environment variable shown; flags win."},
    footer = {"", "Exit codes: 0 after a clean shutdown, 1 on a run-time failure, 2 on invalid configuration."})
public final class DemoCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  // No standard --version flag: --version sets the version label.
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Shows this help and exits.")
  boolean help;

  @Option(names = "--service", split = ",", defaultValue = "${env:VERTICE_DEMO_SERVICE:-test-service}",
      description = "Service name(s), comma-separated; one instance each. 'seed' stands for the seed's 22"
          + " services (VERTICE_DEMO_SERVICE). Default: ${DEFAULT-VALUE}.")
  List<String> services;

  @Option(names = "--protocol", defaultValue = "${env:VERTICE_DEMO_PROTOCOL:-http}",
      description = "http or grpc (VERTICE_DEMO_PROTOCOL). Default: ${DEFAULT-VALUE}.")
  String protocol;

  @Option(names = "--host", defaultValue = "${env:VERTICE_DEMO_HOST:-127.0.0.1}",
      description = "Address to listen on (VERTICE_DEMO_HOST). Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", defaultValue = "${env:VERTICE_DEMO_PORT:-8080}",
      description = "Port of the first instance; the next ones take the following ports; 0 picks free ones"
          + " (VERTICE_DEMO_PORT). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--instance-id", defaultValue = "${env:VERTICE_DEMO_INSTANCE_ID:-}",
      description = "Instance id to report, with one service only (VERTICE_DEMO_INSTANCE_ID)."
          + " Default: <service>-<port> (<service>-<pid>-<n> on free ports).")
  String instanceId;

  @Option(names = "--version", defaultValue = "${env:VERTICE_DEMO_VERSION:-v1}",
      description = "Version label to report (VERTICE_DEMO_VERSION). Default: ${DEFAULT-VALUE}.")
  String version;

  @Option(names = "--latency-ms", defaultValue = "${env:VERTICE_DEMO_LATENCY_MS:-0}",
      description = "Delay added to every echo, in ms, 0..60000 (VERTICE_DEMO_LATENCY_MS). Default: ${DEFAULT-VALUE}.")
  long latencyMs;

  @Option(names = "--error-rate", defaultValue = "${env:VERTICE_DEMO_ERROR_RATE:-0}",
      description = "Fraction of echoes that fail (HTTP 500, gRPC INTERNAL), 0..1 (VERTICE_DEMO_ERROR_RATE)."
          + " Default: ${DEFAULT-VALUE}.")
  double errorRate;

  @Option(names = "--seed", defaultValue = "${env:VERTICE_DEMO_SEED:-1}",
      description = "Seed of the random source that picks failing echoes (VERTICE_DEMO_SEED). Default: ${DEFAULT-VALUE}.")
  long seed;

  /** Runs the command as its own process (for tests and scripts). */
  public static void main(String[] args) {
    ProcessDefaults.apply();
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command line and returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new DemoCommand());
    cli.setOut(out);
    cli.setErr(err);
    return cli.execute(args);
  }

  @Override
  public Integer call() throws InterruptedException {
    List<DemoConfig> configs = configs();
    List<DemoService> started = new ArrayList<>();
    PrintWriter out = spec.commandLine().getOut();
    // gRPC only, off unless the OTEL_* environment configures an exporter: a server span per call,
    // child of the caller's (the gateway's) span.
    Tracing tracing = protocol.equals("grpc") ? Tracing.fromEnvironment("vertice-demo") : Tracing.off();
    for (DemoConfig c : configs) {
      try {
        DemoService s = protocol.equals("grpc") ? EchoGrpcServer.start(c, tracing.serverInterceptors())
            : EchoHttpServer.start(c);
        started.add(s);
        out.printf("demo %s %s listening on %s:%d (instance %s, version %s)%n", c.service(), s.protocol(), c.host(),
            s.port(), c.instanceId(), c.version());
      } catch (IOException e) {
        started.forEach(DemoService::close);
        tracing.close();
        spec.commandLine().getErr().println("cannot listen on " + c.host() + ":" + c.port() + ": " + e.getMessage());
        return 1;
      }
    }
    out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      started.forEach(DemoService::close);
      tracing.close(); // flushes the spans
      stopped.countDown();
      Runtime.getRuntime().halt(0);
    }, "demo-shutdown"));
    stopped.await();
    return 0;
  }

  private List<DemoConfig> configs() {
    List<String> names = new ArrayList<>();
    for (String s : services) {
      String name = s.strip();
      if (name.equals("seed")) {
        names.addAll(SeedServices.NAMES);
      } else if (!name.isEmpty()) {
        names.add(name);
      }
    }
    check("--service", !names.isEmpty(), "names no service");
    check("--protocol", protocol.equals("http") || protocol.equals("grpc"), "'" + protocol + "' is not http or grpc");
    check("--port", port >= 0 && port + names.size() - 1 <= 65535,
        port + (names.size() > 1 ? " (with " + names.size() + " services)" : "") + " is outside 0..65535");
    check("--instance-id", instanceId.isEmpty() || names.size() == 1, "can be set with one service only");
    check("--latency-ms", latencyMs >= 0 && latencyMs <= DemoConfig.MAX_LATENCY.toMillis(),
        latencyMs + " is outside 0.." + DemoConfig.MAX_LATENCY.toMillis());
    check("--error-rate", errorRate >= 0 && errorRate <= 1, errorRate + " is outside 0..1");
    check("--version", !version.isBlank(), "is empty");
    check("--host", !host.isBlank(), "is empty");
    List<DemoConfig> configs = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      int p = port == 0 ? 0 : port + i;
      // A free port is known only once bound: the pid then keeps the id unique on the host.
      String id = !instanceId.isEmpty() ? instanceId
          : names.get(i) + "-" + (p == 0 ? ProcessHandle.current().pid() + "-" + i : String.valueOf(p));
      configs.add(DemoConfig.custom().service(names.get(i)).instanceId(id).host(host).port(p).version(version)
          .latency(Duration.ofMillis(latencyMs)).errorRate(errorRate).seed(seed + i).build());
    }
    return configs;
  }

  private void check(String option, boolean ok, String problem) {
    if (!ok) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + problem);
    }
  }
}
