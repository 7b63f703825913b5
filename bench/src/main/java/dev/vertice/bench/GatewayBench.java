package dev.vertice.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code GatewayBench} measures proxy overhead: requests/s and exact p50/p99/p99.9 latency at a
 * fixed concurrency against one local upstream, reached directly, through the Vertice gateway
 * (routing from a real in-process control plane's push), and through Debian's nginx as a reverse
 * proxy with a static upstream. Load comes from wrk (a C load generator using little CPU, which
 * matters on a small machine shared by the load, the proxy and the upstream); its Lua {@code
 * done()} hook reports exact quantiles. Targets run one after another, in rounds, so that each
 * round sees similar machine load; medians follow when there are several rounds.
 */
@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = "Proxy throughput and latency: upstream direct, through the gateway, through nginx (wrk load).")
final class GatewayBench implements Callable<Integer> {

  static final String SERVICE = "bench-upstream";

  @Option(names = "--targets", split = ",", defaultValue = "direct,gateway,nginx",
      description = "Targets to measure, in order: direct, gateway, nginx, and health-check (GET"
          + " /gateway/health-check/{service} through the gateway: the cached path over HTTP). Default: ${DEFAULT-VALUE}.")
  List<String> targets;

  @Option(names = "--connections", defaultValue = "64",
      description = "Concurrent keep-alive connections (wrk -c). Default: ${DEFAULT-VALUE}.")
  int connections;

  @Option(names = "--threads", defaultValue = "2", description = "wrk threads (wrk -t). Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per run. Default: ${DEFAULT-VALUE}.")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "5",
      description = "Unmeasured load before each target's first run (JIT, connection pools). Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(names = "--rounds", defaultValue = "3",
      description = "Runs per target, interleaved; medians are reported too when above 1. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--upstream-threads", defaultValue = "1",
      description = "Event-loop threads of the upstream server. Default: ${DEFAULT-VALUE}.")
  int upstreamThreads;

  @Option(names = "--nginx-workers", defaultValue = "2",
      description = "nginx worker_processes (the gateway uses one event loop per core). Default: ${DEFAULT-VALUE}.")
  int nginxWorkers;

  @Option(names = "--gateway-threads", defaultValue = "2",
      description = "Event-loop threads of the gateway (as many as nginx workers for a fair match). Default:"
          + " ${DEFAULT-VALUE}.")
  int gatewayThreads;

  @Option(names = "--json", description = "One JSON object per run on stdout (the table goes to stderr).")
  boolean json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    for (String t : targets) {
      if (!List.of("direct", "gateway", "nginx", "health-check").contains(t)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--targets: unknown target '" + t + "' (direct, gateway, nginx, health-check)");
      }
    }
    if (connections < 1 || threads < 1 || threads > connections || seconds < 1 || warmupSeconds < 0 || rounds < 1
        || upstreamThreads < 1 || nginxWorkers < 1 || gatewayThreads < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--connections, --threads (at most --connections),"
          + " --seconds, --rounds, --upstream-threads, --nginx-workers and --gateway-threads must be positive,"
          + " --warmup-seconds not negative");
    }
    Wrk.requireInstalled();
    Path work = Files.createTempDirectory("vertice-bench-gateway");
    Report report = new Report("gateway", json);
    Map<String, List<Wrk.Result>> results = new LinkedHashMap<>();
    try (UpstreamServer upstream = new UpstreamServer(upstreamThreads);
        Proxies proxies = new Proxies(work, upstream.port(), nginxWorkers, gatewayThreads)) {
      for (String t : targets) {
        proxies.start(t);
        results.put(t, new ArrayList<>());
        if (warmupSeconds > 0) {
          Wrk.run(proxies.url(t), threads, connections, warmupSeconds, work);
        }
      }
      for (int round = 1; round <= rounds; round++) {
        for (String t : targets) {
          Wrk.Result r = Wrk.run(proxies.url(t), threads, connections, seconds, work);
          results.get(t).add(r);
          report.add(row(t, Integer.toString(round), r));
        }
      }
    } finally {
      deleteTree(work);
    }
    if (rounds > 1) {
      for (Map.Entry<String, List<Wrk.Result>> e : results.entrySet()) {
        report.add(row(e.getKey(), "median", median(e.getValue())));
      }
    }
    report.printTable();
    if (results.containsKey("gateway") && results.containsKey("nginx")) {
      Wrk.Result g = median(results.get("gateway"));
      Wrk.Result n = median(results.get("nginx"));
      (json ? System.err : System.out).printf(java.util.Locale.ROOT,
          "gateway/nginx (medians): requests/s %.2f (target >= 0.80), p99 %.2f (target <= 1.50)%n",
          g.rps() / n.rps(), (double) g.p99() / n.p99());
    }
    return 0;
  }

  private Map<String, Object> row(String target, String round, Wrk.Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", target);
    m.put("round", round);
    m.put("connections", connections);
    m.put("rps", r.rps());
    m.put("p50_ms", r.p50() / 1e3);
    m.put("p99_ms", r.p99() / 1e3);
    m.put("p999_ms", r.p999() / 1e3);
    m.put("max_ms", r.max() / 1e3);
    m.put("requests", r.requests());
    m.put("socket_errors", r.socketErrors());
    m.put("non_2xx", r.non2xx());
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

  private static long med(List<Wrk.Result> runs, java.util.function.ToLongFunction<Wrk.Result> f) {
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

  /** The proxies of one run, started on demand, stopped together. */
  private static final class Proxies implements AutoCloseable {
    private final Path work;
    private final int upstreamPort;
    private final int nginxWorkers;
    private final int gatewayThreads;
    private Nginx nginx;
    private GatewayTarget gateway;

    Proxies(Path work, int upstreamPort, int nginxWorkers, int gatewayThreads) {
      this.work = work;
      this.gatewayThreads = gatewayThreads;
      this.upstreamPort = upstreamPort;
      this.nginxWorkers = nginxWorkers;
    }

    void start(String target) throws Exception {
      switch (target) {
        case "nginx" -> nginx = new Nginx(work.resolve("nginx"), SERVICE, upstreamPort, nginxWorkers);
        case "gateway", "health-check" -> {
          if (gateway == null) {
            gateway = new GatewayTarget(SERVICE, upstreamPort, gatewayThreads);
          }
        }
        default -> { }
      }
    }

    String url(String target) {
      return switch (target) {
        case "direct" -> "http://127.0.0.1:" + upstreamPort + "/hello";
        case "nginx" -> "http://127.0.0.1:" + nginx.port() + "/" + SERVICE + "/hello";
        case "gateway" -> "http://127.0.0.1:" + gateway.port() + "/" + SERVICE + "/hello";
        case "health-check" -> "http://127.0.0.1:" + gateway.port() + "/gateway/health-check/" + SERVICE;
        default -> throw new IllegalArgumentException(target);
      };
    }

    @Override
    public void close() {
      if (nginx != null) {
        nginx.close();
      }
      if (gateway != null) {
        gateway.close();
      }
    }
  }
}
