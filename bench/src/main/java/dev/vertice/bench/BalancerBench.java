package dev.vertice.bench;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.gateway.Gateway;
import dev.vertice.gateway.GatewayConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code BalancerBench} compares the gateway's balancing policies when one instance is slow: {@code
 * --instances} upstream servers on loopback, one of them answering {@code --latency-ms} late (the
 * demo's {@code --latency-ms}), behind a real gateway per policy; {@code --clients} closed-loop
 * HTTP/1.1 clients for {@code --seconds} after {@code --warmup-seconds} (and, once, a JVM warm-up
 * through a discarded round-robin gateway). Reports per policy the
 * share of requests the slow instance received and the client-side latency distribution.
 *
 * <p>Everything runs in this JVM (gateway, upstreams, clients); the gateway's table is fed the
 * instances directly (no control plane: routing is what is measured). Closed-loop clients slow down
 * with the slow answers, so the p99 understates what a fixed-rate load would see.
 */
@Command(name = "balancers", mixinStandardHelpOptions = true,
    description = "Balancing policies side by side with one instance slowed: share of requests it gets, p50/p99.")
final class BalancerBench implements Callable<Integer> {

  @Option(names = "--policies", split = ",", defaultValue = "peak-ewma,least-request,round-robin",
      description = "Policies to compare. Default: ${DEFAULT-VALUE}.")
  List<String> policies;

  @Option(names = "--instances", defaultValue = "4", description = "Upstream instances. Default: ${DEFAULT-VALUE}.")
  int instances;

  @Option(names = "--latency-ms", defaultValue = "50",
      description = "Added latency of the one slow instance. Default: ${DEFAULT-VALUE}.")
  int latencyMs;

  @Option(names = "--clients", defaultValue = "16", description = "Concurrent clients. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per policy. Default: ${DEFAULT-VALUE}.")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "3",
      description = "Unmeasured seconds per policy first. Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(names = "--jvm-warmup-seconds", defaultValue = "5",
      description = "Unmeasured seconds through a round-robin gateway before the first policy, so that cold code"
          + " (slow answers) does not leave latency peaks in the first policy's estimates. Default: ${DEFAULT-VALUE}.")
  int jvmWarmupSeconds;

  @Option(names = "--json", description = "One JSON object per policy on stdout (the table goes to stderr).")
  boolean json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (instances < 2 || latencyMs < 0 || clients < 1 || seconds < 1 || warmupSeconds < 0 || jvmWarmupSeconds < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--instances must be at least 2, --clients and"
          + " --seconds positive, --latency-ms, --warmup-seconds and --jvm-warmup-seconds not negative");
    }
    for (String p : policies) {
      try {
        GatewayConfig.custom().balancer(p);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid --policies: " + e.getMessage());
      }
    }
    List<UpstreamServer> upstreams = new ArrayList<>();
    Report report = new Report("balancers", json);
    try {
      for (int i = 0; i < instances; i++) {
        upstreams.add(new UpstreamServer(1, i == instances - 1 ? latencyMs : 0));
      }
      UpstreamServer slow = upstreams.get(instances - 1);
      if (jvmWarmupSeconds > 0) {
        try (Gateway gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
            .balancer("round-robin").build()).start()) {
          gateway.routingState().onUpdate(snapshot(upstreams));
          load(URI.create("http://127.0.0.1:" + gateway.port() + "/bench/x"), jvmWarmupSeconds, null);
        }
      }
      for (String policy : policies) {
        try (Gateway gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
            .balancer(policy).build()).start()) {
          gateway.routingState().onUpdate(snapshot(upstreams));
          URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/bench/x");
          load(uri, warmupSeconds, null);
          long slowBefore = slow.requests();
          long allBefore = upstreams.stream().mapToLong(UpstreamServer::requests).sum();
          List<long[]> samples = new ArrayList<>();
          long errors = load(uri, seconds, samples);
          long slowHits = slow.requests() - slowBefore;
          long all = upstreams.stream().mapToLong(UpstreamServer::requests).sum() - allBefore;
          long[] sorted = samples.stream().flatMapToLong(Arrays::stream).filter(n -> n > 0).sorted().toArray();
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("policy", policy);
          row.put("requests", sorted.length);
          row.put("errors", errors);
          row.put("slow_share_pct", all == 0 ? 0.0 : 100.0 * slowHits / all);
          row.put("rps", (double) sorted.length / seconds);
          row.put("p50_ms", Report.millis(Report.quantile(sorted, 0.50)));
          row.put("p99_ms", Report.millis(Report.quantile(sorted, 0.99)));
          row.put("p999_ms", Report.millis(Report.quantile(sorted, 0.999)));
          row.put("max_ms", Report.millis(sorted.length == 0 ? 0 : sorted[sorted.length - 1]));
          report.add(row);
        }
      }
    } finally {
      upstreams.forEach(UpstreamServer::close);
    }
    report.printTable();
    return 0;
  }

  private static ServiceSnapshot snapshot(List<UpstreamServer> upstreams) {
    List<Instance> list = new ArrayList<>();
    for (int i = 0; i < upstreams.size(); i++) {
      list.add(Instance.newBuilder().setService("bench").setInstanceId("i" + i).setAddress("127.0.0.1")
          .setPort(upstreams.get(i).port()).setProtocol(Protocol.PROTOCOL_HTTP).setVersion("v1").setWeight(100)
          .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build());
    }
    return new ServiceSnapshot("bench", "1", list);
  }

  /**
   * Runs the clients for {@code secs} seconds; adds each client's latencies (ns, 0-padded) to
   * {@code samples} when not null; returns the count of failed requests.
   */
  private long load(URI uri, int secs, List<long[]> samples) throws Exception {
    if (secs == 0) {
      return 0;
    }
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    AtomicLong errors = new AtomicLong();
    long end = System.nanoTime() + Duration.ofSeconds(secs).toNanos();
    try {
      List<Future<long[]>> futures = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        futures.add(pool.submit(() -> {
          long[] mine = new long[1024];
          int n = 0;
          HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
          while (System.nanoTime() < end) {
            long start = System.nanoTime();
            try {
              HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
              if (r.statusCode() != 200) {
                errors.incrementAndGet();
                continue;
              }
            } catch (java.io.IOException e) {
              errors.incrementAndGet();
              continue;
            }
            if (n == mine.length) {
              mine = Arrays.copyOf(mine, n * 2);
            }
            mine[n++] = System.nanoTime() - start;
          }
          return Arrays.copyOf(mine, n);
        }));
      }
      for (Future<long[]> f : futures) {
        long[] mine = f.get();
        if (samples != null) {
          samples.add(mine);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return errors.get();
  }
}
