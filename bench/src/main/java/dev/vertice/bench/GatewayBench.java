package dev.vertice.bench;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.InstanceSpec;
import dev.vertice.client.RegistryClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleBiFunction;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code GatewayBench} measures what a proxy costs, each piece in its own process: a static
 * upstream (nginx, one worker), reached directly, through the Vertice gateway (started as {@code
 * ./vertice gateway} starts it, routing from a {@code ./vertice control-plane} process that the
 * upstream is registered with), through nginx as a reverse proxy and through HAProxy. Loads: wrk
 * at fixed concurrencies (closed loop), h2load over h2c, and h2load at a fixed request rate (open
 * loop, so that a stall shows in the latencies). Targets run one after another, in rounds, so each
 * round sees similar machine load; medians and the ratios to nginx follow.
 *
 * <p>gRPC unary: the demo gRPC service ({@code ./vertice demo --protocol grpc}, registered with the
 * control plane as {@value GrpcUnary#SERVICE}) called directly and through the gateway's gRPC port
 * by h2load, closed loop and at a fixed rate, with the ratio to direct. Each target answers one real
 * gRPC call before the runs, and a run counts calls answered without a message as errors ({@link
 * GrpcUnary}).
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = "Proxy throughput and latency, each in its own process: upstream direct, through the gateway,"
        + " through nginx and through HAProxy (wrk, h2load h2c and fixed-rate load); gRPC unary calls to the demo"
        + " gRPC service direct and through the gateway (h2load).")
final class GatewayBench implements Callable<Integer> {

  static final String SERVICE = "bench-upstream";
  private static final List<String> TARGETS = List.of("direct", "gateway", "nginx", "haproxy", "health-check");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  @Option(names = "--targets", split = ",", defaultValue = "direct,gateway,nginx,haproxy",
      description = "Targets to measure, in order: direct, gateway, nginx, haproxy, and health-check (GET"
          + " /gateway/health-check/{service} through the gateway: the cached path). Default: ${DEFAULT-VALUE}.")
  List<String> targets;

  @Option(names = "--connections", split = ",", defaultValue = "32,256",
      description = "Closed-loop wrk runs, one per value: keep-alive connections (wrk -c). Default: ${DEFAULT-VALUE}.")
  List<Integer> connections;

  @Option(names = "--threads", defaultValue = "1", description = "wrk threads (wrk -t). Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--h2c-connections", defaultValue = "32",
      description = "h2load h2c run (prior knowledge): connections; 0 skips it. Default: ${DEFAULT-VALUE}.")
  int h2cConnections;

  @Option(names = "--h2c-streams", defaultValue = "4",
      description = "h2load h2c run: requests in flight per connection (h2load -m). Default: ${DEFAULT-VALUE}.")
  int h2cStreams;

  @Option(names = "--rate", defaultValue = "auto",
      description = "Fixed-rate HTTP/1.1 run (h2load --rps, open loop): requests/s in all, 'auto' for half of"
          + " nginx's requests/s in the first closed-loop run of round 1, 0 to skip. Default: ${DEFAULT-VALUE}.")
  String rate;

  @Option(names = "--rate-connections", defaultValue = "32",
      description = "Connections of the fixed-rate runs (HTTP/1.1 and gRPC). Default: ${DEFAULT-VALUE}.")
  int rateConnections;

  @Option(names = "--grpc-connections", split = ",", defaultValue = "32,256",
      description = "Closed-loop gRPC unary runs (h2load, vertice.demo.v1.EchoService/Echo of the demo gRPC service,"
          + " targets direct and gateway), one per value: connections; 0 skips them. Default: ${DEFAULT-VALUE}.")
  List<Integer> grpcConnections;

  @Option(names = "--grpc-streams", defaultValue = "1",
      description = "gRPC runs: calls in flight per connection (h2load -m). Default: ${DEFAULT-VALUE}.")
  int grpcStreams;

  @Option(names = "--grpc-rate", defaultValue = "auto",
      description = "Fixed-rate gRPC run (h2load --rps, open loop): calls/s in all, 'auto' for half of the slower of"
          + " direct and gateway in the first closed-loop gRPC run of round 1 (none without such runs), 0 to skip."
          + " Default: ${DEFAULT-VALUE}.")
  String grpcRate;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per run. Default: ${DEFAULT-VALUE}.")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "15",
      description = "Unmeasured load on each target before round 1 (JIT, connection pools), over HTTP/1.1, h2c"
          + " and gRPC each: with 5 s, the gateway's JIT was still compiling the gRPC path through the first"
          + " measured round. Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(names = "--rounds", defaultValue = "3",
      description = "Runs per target and load, interleaved; the summary takes medians (of an even number, the"
          + " upper one: the better requests/s, the worse latencies), and each ratio is worked out within its"
          + " round before its median is taken. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--proxy-workers", defaultValue = "2",
      description = "nginx worker_processes and HAProxy nbthread (the gateway keeps its default: an event loop"
          + " per core). Default: ${DEFAULT-VALUE}.")
  int proxyWorkers;

  @Option(names = "--json", description = "One JSON object per run on stdout (the table goes to stderr).")
  boolean json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** The HTTP/1.1 and gRPC fixed rates: -1 for auto, 0 for none. */
  private int fixedRate;
  private int grpcFixedRate;
  /** The targets of the gRPC runs (direct and gateway, where asked for); empty when there are none. */
  private List<String> grpcTargets = List.of();

  /** One load shape: the tool, and its connections or rate. */
  record Load(String kind, int connections, int rate) {
    String key() {
      return kind + ":" + connections + (rate > 0 ? "@" + rate : "");
    }
  }

  @Override
  public Integer call() throws Exception {
    validate();
    Wrk.requireInstalled();
    if (h2cConnections > 0 || fixedRate != 0 || !grpcTargets.isEmpty()) {
      H2load.requireInstalled();
    }
    Path work = Files.createTempDirectory("vertice-bench-gateway");
    Report report = new Report("gateway", json);
    Map<String, Map<String, List<Wrk.Result>>> results = new LinkedHashMap<>(); // load key -> target -> runs
    Map<String, Map<String, List<Double>>> cpu = new LinkedHashMap<>(); // the same, the target's CPU per request
    Map<String, Load> loads = new LinkedHashMap<>();
    boolean grpcClosedLoop = !grpcTargets.isEmpty() && grpcConnections.get(0) > 0;
    try (Processes p = new Processes(work, proxyWorkers, !grpcTargets.isEmpty())) {
      for (String t : targets) {
        p.start(t);
      }
      p.verifyGrpc(grpcTargets);
      for (String t : targets) {
        if (warmupSeconds > 0) {
          Wrk.run(p.url(t), threads, connections.get(0), warmupSeconds, work);
          if (h2cConnections > 0) { // the HTTP/2 path has code of its own to warm up
            H2load.h2c(p.h2cUrl(t), h2cConnections, h2cStreams, warmupSeconds, work);
          }
          if (grpcTargets.contains(t)) { // and so has the gRPC proxy
            p.grpc(t, grpcClosedLoop ? grpcConnections.get(0) : rateConnections, grpcStreams, 0, warmupSeconds);
          }
        }
      }
      for (int round = 1; round <= rounds; round++) {
        List<Load> roundLoads = new ArrayList<>();
        for (int c : connections) {
          roundLoads.add(new Load("wrk", c, 0));
        }
        if (h2cConnections > 0) {
          roundLoads.add(new Load("h2c", h2cConnections, 0));
        }
        for (Load load : roundLoads) {
          runAll(load, round, p, work, report, results, cpu, loads);
        }
        if (fixedRate < 0) { // auto: half of nginx's first closed-loop result
          List<Wrk.Result> nginx = results.get(new Load("wrk", connections.get(0), 0).key()).get("nginx");
          fixedRate = (int) Math.max(1, nginx.get(0).rps() / 2);
        }
        if (fixedRate > 0) {
          runAll(new Load("rate", rateConnections, fixedRate), round, p, work, report, results, cpu, loads);
        }
        if (grpcClosedLoop) {
          for (int c : grpcConnections) {
            runAll(new Load("grpc", c, 0), round, p, work, report, results, cpu, loads);
          }
        }
        if (grpcFixedRate < 0 && grpcClosedLoop) { // auto: half of the slower target's first closed-loop run
          double slowest = results.get(new Load("grpc", grpcConnections.get(0), 0).key()).values().stream()
              .mapToDouble(runs -> runs.get(0).rps()).min().orElseThrow();
          grpcFixedRate = (int) Math.max(1, slowest / 2);
        }
        if (grpcFixedRate > 0 && !grpcTargets.isEmpty()) {
          runAll(new Load("grpc-rate", rateConnections, grpcFixedRate), round, p, work, report, results, cpu, loads);
        }
      }
    } finally {
      deleteTree(work);
    }
    summarize(report, results, cpu, loads);
    report.printTable();
    return 0;
  }

  /** Checks the options; sets the fixed rates and the gRPC targets. */
  private void validate() {
    for (String t : targets) {
      if (!TARGETS.contains(t)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--targets: unknown target '" + t + "' (" + String.join(", ", TARGETS) + ")");
      }
    }
    for (int c : connections) {
      if (c < 1 || c < threads) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--connections: " + c + " must be at least 1 and at least --threads");
      }
    }
    if (threads < 1 || h2cConnections < 0 || h2cStreams < 1 || rateConnections < 1 || seconds < 1
        || warmupSeconds < 0 || rounds < 1 || proxyWorkers < 1 || grpcStreams < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--threads, --h2c-streams, --grpc-streams,"
          + " --rate-connections, --seconds, --rounds and --proxy-workers must be positive, --h2c-connections and"
          + " --warmup-seconds not negative");
    }
    for (int c : grpcConnections) {
      if (c < 0 || (c == 0 && grpcConnections.size() > 1)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--grpc-connections: " + c + " must be positive (or a single 0, which skips the closed-loop gRPC runs)");
      }
    }
    fixedRate = parseRate("--rate", rate);
    if (fixedRate == -1 && !targets.contains("nginx")) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--rate auto needs the nginx target (half of its requests/s); give a number or add nginx to --targets");
    }
    grpcFixedRate = parseRate("--grpc-rate", grpcRate);
    if (grpcConnections.get(0) > 0 || grpcFixedRate > 0) {
      grpcTargets = targets.stream().filter(t -> t.equals("direct") || t.equals("gateway")).distinct().toList();
    }
  }

  /** Parses a rate option: -1 for auto, 0 for none, else calls/s. */
  private int parseRate(String option, String value) {
    int parsed;
    try {
      parsed = value.equals("auto") ? -1 : Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          option + ": '" + value + "' is not 'auto' or a number");
    }
    if (parsed < -1) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + value + " is negative");
    }
    return parsed;
  }

  private void runAll(Load load, int round, Processes p, Path work, Report report,
      Map<String, Map<String, List<Wrk.Result>>> results, Map<String, Map<String, List<Double>>> cpu,
      Map<String, Load> loads) throws Exception {
    loads.putIfAbsent(load.key(), load);
    for (String t : load.kind().startsWith("grpc") ? grpcTargets : targets) {
      ProcessHandle server = p.server(t, load.kind());
      long cpuBefore = ProcessCpu.nanos(server);
      Wrk.Result r = switch (load.kind()) {
        case "wrk" -> Wrk.run(p.url(t), threads, load.connections(), seconds, work);
        case "h2c" -> H2load.h2c(p.h2cUrl(t), load.connections(), h2cStreams, seconds, work);
        case "grpc", "grpc-rate" -> p.grpc(t, load.connections(), grpcStreams, load.rate(), seconds);
        default -> H2load.fixedRate(p.url(t), load.connections(), load.rate(), seconds, work);
      };
      double cpuPerRequest = ProcessCpu.microsPerRequest(ProcessCpu.nanos(server) - cpuBefore, r.requests());
      results.computeIfAbsent(load.key(), k -> new LinkedHashMap<>()).computeIfAbsent(t, k -> new ArrayList<>()).add(r);
      cpu.computeIfAbsent(load.key(), k -> new LinkedHashMap<>()).computeIfAbsent(t, k -> new ArrayList<>())
          .add(cpuPerRequest);
      if (rounds > 1) {
        report.add(row(t, load, Integer.toString(round), r, cpuPerRequest));
      }
    }
  }

  /**
   * The summary rows: medians over the rounds, with the ratios to nginx and, closed loop, the
   * requests/s over direct's (at a fixed rate: the p99 added over direct's). Each ratio is paired:
   * worked out within each round, where the targets ran minutes apart at most, then the median of
   * those; so a machine that is faster in one round than in another moves every target of that
   * round together and not the ratio.
   */
  private void summarize(Report report, Map<String, Map<String, List<Wrk.Result>>> results,
      Map<String, Map<String, List<Double>>> cpu, Map<String, Load> loads) {
    for (Map.Entry<String, Map<String, List<Wrk.Result>>> byLoad : results.entrySet()) {
      Load load = loads.get(byLoad.getKey());
      Map<String, List<Double>> cpuByTarget = cpu.get(byLoad.getKey());
      List<Wrk.Result> nginx = byLoad.getValue().get("nginx");
      List<Wrk.Result> direct = byLoad.getValue().get("direct");
      for (Map.Entry<String, List<Wrk.Result>> e : byLoad.getValue().entrySet()) {
        List<Wrk.Result> runs = e.getValue();
        Map<String, Object> row = row(e.getKey(), load, rounds > 1 ? "median" : "1", median(runs),
            medianOf(cpuByTarget.get(e.getKey())));
        if (nginx != null && !e.getKey().equals("nginx")) {
          row.put("rps_vs_nginx", pairedMedian(runs, nginx, (a, b) -> a.rps() / b.rps()));
          row.put("p99_vs_nginx", pairedMedian(runs, nginx, (a, b) -> (double) a.p99() / b.p99()));
        }
        if (direct != null && !e.getKey().equals("direct")) {
          if (load.rate() > 0) {
            row.put("p99_over_direct_ms", pairedMedian(runs, direct, (a, b) -> (a.p99() - b.p99()) / 1e3));
          } else {
            row.put("rps_vs_direct", pairedMedian(runs, direct, (a, b) -> a.rps() / b.rps()));
          }
        }
        report.add(row);
      }
    }
  }

  /**
   * The median over the rounds of {@code f(run, base)}, {@code run} and {@code base} from the same
   * round (the lists hold one run per round, in order); of an even number, the mean of the middle two.
   */
  static double pairedMedian(List<Wrk.Result> runs, List<Wrk.Result> base,
      ToDoubleBiFunction<Wrk.Result, Wrk.Result> f) {
    int n = Math.min(runs.size(), base.size());
    if (n == 0) {
      throw new IllegalArgumentException("no round to compare");
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = f.applyAsDouble(runs.get(i), base.get(i));
    }
    Arrays.sort(v);
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** The median of {@code values} (of an even number, the mean of the middle two); NaN for none. */
  static double medianOf(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d)).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static Map<String, Object> row(String target, Load load, String round, Wrk.Result r, double cpuPerRequest) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", target);
    m.put("load", load.kind());
    m.put("connections", load.connections());
    m.put("rate", load.rate());
    m.put("round", round);
    m.put("rps", r.rps());
    m.put("p50_ms", r.p50() / 1e3);
    m.put("p99_ms", r.p99() / 1e3);
    m.put("p999_ms", r.p999() / 1e3);
    m.put("max_ms", r.max() / 1e3);
    m.put("requests", r.requests());
    m.put("errors", r.socketErrors() + r.non2xx());
    // The CPU the target's server used over the run per request: the gateway, nginx or HAProxy
    // for a proxy (not the upstream behind it), the upstream itself for direct.
    m.put("cpu_us_per_request", Double.isNaN(cpuPerRequest) ? null : cpuPerRequest);
    m.put("rps_vs_nginx", null); // filled in the summary rows, where they apply
    m.put("p99_vs_nginx", null);
    m.put("rps_vs_direct", null);
    m.put("p99_over_direct_ms", null);
    return m;
  }

  /** The median run by requests/s; its latencies are the medians of each quantile separately. */
  static Wrk.Result median(List<Wrk.Result> runs) {
    List<Wrk.Result> byRps = new ArrayList<>(runs);
    byRps.sort(Comparator.comparingDouble(Wrk.Result::rps));
    Wrk.Result mid = byRps.get(byRps.size() / 2);
    return new Wrk.Result(mid.requests(), mid.durationMicros(), med(runs, Wrk.Result::p50), med(runs, Wrk.Result::p99),
        med(runs, Wrk.Result::p999), med(runs, Wrk.Result::max), mid.socketErrors(), mid.non2xx());
  }

  private static long med(List<Wrk.Result> runs, ToLongFunction<Wrk.Result> f) {
    long[] v = runs.stream().mapToLong(f).sorted().toArray();
    return v[v.length / 2];
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }

  /**
   * The upstream, the proxies, the control plane and (with gRPC runs) the demo gRPC service of one
   * run, each its own process, stopped together.
   */
  private static final class Processes implements AutoCloseable {
    private final Path work;
    private final int workers;
    private final boolean grpc;
    private final Nginx upstream;
    private final Map<String, GrpcUnary.Call> grpcCalls = new LinkedHashMap<>();
    private Nginx nginx;
    private Haproxy haproxy;
    private VerticeProcess controlPlane;
    private VerticeProcess gateway;
    private VerticeProcess demo;
    private RegistryClient registry;
    private int gatewayPort;
    private int gatewayGrpcPort;
    private int demoPort;
    private String gatewayMetrics;

    Processes(Path work, int workers, boolean grpc) throws Exception {
      this.work = work;
      this.workers = workers;
      this.grpc = grpc;
      this.upstream = Nginx.upstream(work.resolve("upstream"), 1);
    }

    void start(String target) throws Exception {
      switch (target) {
        case "nginx" -> nginx = Nginx.proxy(work.resolve("nginx"), SERVICE, upstream.port(), workers);
        case "haproxy" -> haproxy = Haproxy.start(work.resolve("haproxy"), SERVICE, upstream.port(), workers);
        case "direct" -> startDemo();
        case "gateway", "health-check" -> {
          startDemo();
          if (gateway == null) {
            startGateway();
          }
        }
        default -> { }
      }
    }

    /** Starts the demo gRPC service as {@code ./vertice demo --protocol grpc} does, when gRPC runs are asked for. */
    private void startDemo() throws Exception {
      if (!grpc || demo != null) {
        return;
      }
      demo = VerticeProcess.start(work, "demo", List.of("demo", "--protocol", "grpc", "--service", GrpcUnary.SERVICE,
          "--host", "127.0.0.1", "--port", "0"));
      demoPort = Integer.parseInt(demo.await(Pattern.compile("grpc listening on 127\\.0\\.0\\.1:(\\d+)"),
          START_TIMEOUT));
    }

    private void startGateway() throws Exception {
      controlPlane = VerticeProcess.start(work, "control-plane",
          List.of("control-plane", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0"));
      String cp = "127.0.0.1:" + controlPlane.await(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), START_TIMEOUT);
      gateway = VerticeProcess.start(work, "gateway", List.of("gateway", "--host", "127.0.0.1", "--port", "0",
          "--grpc-port", grpc ? "0" : "-1", "--admin-port", "0", "--control-plane", cp));
      gatewayPort = Integer.parseInt(gateway.await(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), START_TIMEOUT));
      // The writer: the upstream registered as a sidecar would, kept alive while the bench runs.
      registry = RegistryClient.builder().controlPlane(cp).callTimeout(Duration.ofSeconds(60)).build();
      registry.register(InstanceSpec.builder(SERVICE).instanceId("upstream-1").address("127.0.0.1")
          .port(upstream.port()).protocol(Protocol.PROTOCOL_HTTP).build());
      if (grpc) {
        gatewayGrpcPort = Integer.parseInt(gateway.await(Pattern.compile(" and :(\\d+) \\(gRPC\\)"), START_TIMEOUT));
        gatewayMetrics = gateway.await(Pattern.compile("admin: (http://\\S+/metrics)"), START_TIMEOUT);
        registry.register(InstanceSpec.builder(GrpcUnary.SERVICE).instanceId("demo-grpc-1").address("127.0.0.1")
            .port(demoPort).protocol(Protocol.PROTOCOL_GRPC).build());
      }
      awaitRoute(url("gateway"));
    }

    /**
     * Calls Echo once on each of {@code targets} with a real gRPC client, through the gateway once
     * its route has arrived, and keeps the call h2load is to repeat on each.
     */
    void verifyGrpc(List<String> targets) throws Exception {
      Path body = targets.isEmpty() ? null : GrpcUnary.writeBody(work);
      for (String t : targets) {
        boolean viaGateway = t.equals("gateway");
        grpcCalls.put(t, GrpcUnary.verify("127.0.0.1:" + (viaGateway ? gatewayGrpcPort : demoPort),
            viaGateway ? GrpcUnary.SERVICE : null, body, START_TIMEOUT));
      }
    }

    /**
     * Runs h2load's gRPC calls on {@code target} (closed loop when {@code rate} is 0); through the
     * gateway, its own count of server-side failures in the meantime is the floor of the errors.
     */
    Wrk.Result grpc(String target, int connections, int streams, int rate, int seconds) throws Exception {
      boolean viaGateway = target.equals("gateway");
      String url = "http://127.0.0.1:" + (viaGateway ? gatewayGrpcPort : demoPort) + GrpcUnary.PATH;
      long before = viaGateway ? GrpcUnary.gatewayServerErrors(gatewayMetrics) : 0;
      Wrk.Result r = H2load.grpc(url, grpcCalls.get(target), connections, streams, rate, seconds, work);
      long counted = viaGateway ? GrpcUnary.gatewayServerErrors(gatewayMetrics) - before : 0;
      return counted <= r.non2xx() ? r : new Wrk.Result(r.requests(), r.durationMicros(), r.p50(), r.p99(), r.p999(),
          r.max(), r.socketErrors(), counted);
    }

    /** Waits until the gateway answers 200 on {@code url}: the route arrived by push. */
    private static void awaitRoute(String url) throws Exception {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      int last = -1;
      while (System.nanoTime() < deadline) {
        try {
          last = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding()).statusCode();
          if (last == 200) {
            return;
          }
        } catch (java.io.IOException e) {
          last = -1;
        }
        Thread.sleep(50);
      }
      throw new IllegalStateException("the gateway did not route " + url + " within " + START_TIMEOUT
          + " (last status " + last + ")");
    }

    String url(String target) {
      return switch (target) {
        case "direct" -> "http://127.0.0.1:" + upstream.port() + "/hello";
        case "nginx" -> "http://127.0.0.1:" + nginx.port() + "/" + SERVICE + "/hello";
        case "haproxy" -> "http://127.0.0.1:" + haproxy.port() + "/" + SERVICE + "/hello";
        case "gateway" -> "http://127.0.0.1:" + gatewayPort + "/" + SERVICE + "/hello";
        case "health-check" -> "http://127.0.0.1:" + gatewayPort + "/gateway/health-check/" + SERVICE;
        default -> throw new IllegalArgumentException(target);
      };
    }

    /**
     * {@code server} returns the process that serves {@code target}'s requests of a load of kind
     * {@code kind}: the proxy itself (its workers are its descendants), or for direct the upstream
     * (the demo gRPC service for gRPC loads).
     */
    ProcessHandle server(String target, String kind) {
      return switch (target) {
        case "direct" -> kind.startsWith("grpc") ? demo.handle() : upstream.handle();
        case "nginx" -> nginx.handle();
        case "haproxy" -> haproxy.handle();
        case "gateway", "health-check" -> gateway.handle();
        default -> throw new IllegalArgumentException(target);
      };
    }

    String h2cUrl(String target) {
      return switch (target) {
        case "direct" -> "http://127.0.0.1:" + upstream.h2cPort() + "/hello";
        case "nginx" -> "http://127.0.0.1:" + nginx.h2cPort() + "/" + SERVICE + "/hello";
        case "haproxy" -> "http://127.0.0.1:" + haproxy.h2cPort() + "/" + SERVICE + "/hello";
        default -> url(target); // the gateway serves h2c by prior knowledge on its HTTP port
      };
    }

    @Override
    public void close() {
      for (AutoCloseable c : new AutoCloseable[] {gateway, registry, controlPlane, demo, haproxy, nginx, upstream}) {
        if (c != null) {
          try {
            c.close();
          } catch (Exception e) {
            System.err.println("could not stop " + c + ": " + e);
          }
        }
      }
    }
  }
}
