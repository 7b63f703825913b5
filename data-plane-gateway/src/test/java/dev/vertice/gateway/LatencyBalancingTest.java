package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.ServiceSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Latency-aware balancing end to end, with real sockets: four upstream servers on loopback, one
 * slowed by 50 ms, behind a real gateway with {@code --balancer peak-ewma}; 8 clients send 600
 * requests after a JVM warm-up and a warm-up of 300. Peak-EWMA must send the slow instance at most 10 % of them. The
 * share and p99 are printed, not judged; {@code ./vertice bench balancers} runs least-request and
 * round robin beside it.
 */
@Timeout(90)
class LatencyBalancingTest {

  private static final int REQUESTS = 600;
  private static final int CLIENTS = 8;

  private final List<Upstream> upstreams = new ArrayList<>();
  private Upstream slow;

  @BeforeEach
  void setUp() throws Exception {
    for (int i = 0; i < 4; i++) {
      upstreams.add(new Upstream("i" + i));
    }
    slow = upstreams.get(3);
    slow.delayMillis = 50;
  }

  @AfterEach
  void tearDown() {
    upstreams.forEach(Upstream::close);
  }

  private ServiceSnapshot snapshot() {
    List<Instance> list = new ArrayList<>();
    for (Upstream u : upstreams) {
      list.add(Instance.newBuilder().setService("shop").setInstanceId(u.id).setAddress("127.0.0.1").setPort(u.port())
          .setProtocol(Protocol.PROTOCOL_HTTP).setVersion("v1").setWeight(100)
          .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build());
    }
    return new ServiceSnapshot("shop", "1", list);
  }

  /**
   * Runs the load through a gateway with {@code policy}, after a warm-up of {@link #REQUESTS} / 2
   * requests (connections opened, code compiled, estimates formed); returns {slow share, p99 ms}.
   */
  private double[] run(String policy) throws Exception {
    // A 2 s decay: the run lasts seconds, and warm-up peaks (connects, cold code) should not outlive it.
    try (Gateway gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
        .balancer(policy).peakEwmaDecay(Duration.ofSeconds(2)).build()).start()) {
      gateway.routingState().onUpdate(snapshot());
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/shop/item");
      load(policy, http, uri, new long[REQUESTS / 2]);
      upstreams.forEach(u -> u.hits.set(0));
      long[] nanos = new long[REQUESTS];
      load(policy, http, uri, nanos);
      int total = upstreams.stream().mapToInt(u -> u.hits.get()).sum();
      assertEquals(REQUESTS, total, policy + ": requests reaching the upstreams");
      Arrays.sort(nanos);
      return new double[] {(double) slow.hits.get() / REQUESTS, nanos[(int) (REQUESTS * 0.99) - 1] / 1e6};
    }
  }

  /** Sends {@code nanos.length} requests from {@link #CLIENTS} threads, recording each one's time. */
  private static void load(String policy, HttpClient http, URI uri, long[] nanos) throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      int requests = nanos.length;
      try {
        List<Future<Integer>> failures = new ArrayList<>();
        for (int t = 0; t < CLIENTS; t++) {
          int first = t;
          failures.add(pool.submit(() -> {
            int failed = 0;
            for (int i = first; i < requests; i += CLIENTS) {
              long start = System.nanoTime();
              HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                  HttpResponse.BodyHandlers.discarding());
              nanos[i] = System.nanoTime() - start;
              if (r.statusCode() != 200) {
                failed++;
              }
            }
            return failed;
          }));
        }
        int failed = 0;
        for (Future<Integer> f : failures) {
          failed += f.get();
        }
        assertEquals(0, failed, policy + ": failed requests");
      } finally {
        pool.shutdownNow();
      }
  }

  @Test
  void peakEwmaSendsTheSlowedInstanceAtMostTenPercent() throws Exception {
    // A first run through a round-robin gateway, discarded, warms the JVM up (JIT, class loading):
    // cold code answers in hundreds of milliseconds and would blur a 50 ms difference.
    run("round-robin");
    double[] r = run("peak-ewma");
    String line = String.format("peak-ewma: %.1f %% of %d requests to the instance slowed by 50 ms, p99 %.1f ms"
        + " (%d clients; least-request and round robin side by side: ./vertice bench balancers)", r[0] * 100, REQUESTS,
        r[1], CLIENTS);
    System.out.println(line);
    assertTrue(r[0] <= 0.10, line);
  }
}
