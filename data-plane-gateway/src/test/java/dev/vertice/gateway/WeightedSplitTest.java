package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.gateway.routing.ServiceRoute;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The canary split end to end: a TrafficPolicy written on the control plane steers the gateway's traffic. */
class WeightedSplitTest {

  private ControlPlaneFixture cp;
  private Gateway gateway;
  private final List<Upstream> upstreams = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .controlPlane(cp.address()).start();
  }

  @AfterEach
  void tearDown() {
    gateway.close();
    upstreams.forEach(Upstream::close);
    cp.close();
  }

  private Upstream upstream(String id) throws Exception {
    Upstream u = new Upstream(id);
    upstreams.add(u);
    return u;
  }

  private void policy(String service, int v1, int v2) throws Exception {
    cp.controlPlane.trafficPolicies().put(TrafficPolicy.newBuilder().setService(service)
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(v1))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(v2))
        .setRolloutId("r-1").build());
  }

  @Test
  void ninetyTenPolicyGivesTenPercentWithinTwoPointsOverTenThousandRequests() throws Exception {
    Upstream s1 = upstream("stable-1");
    Upstream s2 = upstream("stable-2");
    Upstream c1 = upstream("canary-1");
    cp.register("shop", "stable-1", s1.port(), "v1", 100, Protocol.PROTOCOL_HTTP);
    cp.register("shop", "stable-2", s2.port(), "v1", 100, Protocol.PROTOCOL_HTTP);
    // The canary's instance weight is far higher: the subset weight decides, not the instance weight.
    cp.register("shop", "canary-1", c1.port(), "v2", 1000, Protocol.PROTOCOL_HTTP);
    policy("shop", 90, 10);
    Await.until("policy applied", () -> {
      ServiceRoute r = gateway.routingState().table().http().get("shop");
      return r != null && r.policyVersion() != null && r.subsets().size() == 2;
    });

    int total = 10_000;
    int threads = 8;
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> failures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        failures.add(pool.submit(() -> {
          int failed = 0;
          for (int i = 0; i < total / threads; i++) {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.port() + "/shop/item")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.discarding());
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
      assertEquals(0, failed);
    } finally {
      pool.shutdownNow();
    }
    int canary = c1.hits.get();
    int stable = s1.hits.get() + s2.hits.get();
    assertEquals(total, canary + stable);
    double share = 100.0 * canary / total;
    assertTrue(share >= 8.0 && share <= 12.0, "canary share " + share + " % is outside 10 % ± 2 pp");
  }

  @Test
  void policyChangeAndRemovalApplyToTheNextRequests() throws Exception {
    Upstream s1 = upstream("stable-1");
    Upstream c1 = upstream("canary-1");
    cp.register("shop", "stable-1", s1.port(), "v1", 100, Protocol.PROTOCOL_HTTP);
    cp.register("shop", "canary-1", c1.port(), "v2", 100, Protocol.PROTOCOL_HTTP);
    policy("shop", 0, 100);
    Await.until("all to v2", () -> {
      ServiceRoute r = gateway.routingState().table().http().get("shop");
      return r != null && r.subsets().size() == 1 && "v2".equals(r.subsets().get(0).version());
    });
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < 20; i++) {
      http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/shop/x"))
          .timeout(TestDeadlines.HTTP).build(),
          HttpResponse.BodyHandlers.discarding());
    }
    assertEquals(20, c1.hits.get());
    assertEquals(0, s1.hits.get());
    cp.controlPlane.trafficPolicies().remove("shop");
    Await.until("no split", () -> {
      ServiceRoute r = gateway.routingState().table().http().get("shop");
      return r.policyVersion() == null && r.subsets().get(0).version() == null;
    });
    Await.until("stable receives traffic again", () -> {
      try {
        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/shop/x"))
            .timeout(TestDeadlines.HTTP).build(),
            HttpResponse.BodyHandlers.discarding());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return s1.hits.get() > 0;
    });
  }
}
