package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.StatsReporter;
import dev.vertice.controlplane.store.StatsWindow;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Per-version stats reach the control plane's StatsService in batches, counted as the upstreams saw them. */
class StatsReportingTest {

  private ControlPlaneFixture cp;
  private StatsReporter reporter;
  private Gateway gateway;
  private Upstream stable;
  private Upstream canary;

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
    reporter = StatsReporter.builder().controlPlane(cp.address()).reporter("gateway-test")
        .interval(Duration.ofMillis(200)).build();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .controlPlane(cp.address()).stats(reporter::record).start();
    stable = new Upstream("stable");
    canary = new Upstream("canary");
    canary.status = 500;
  }

  @AfterEach
  void tearDown() {
    gateway.close();
    reporter.close();
    stable.close();
    canary.close();
    cp.close();
  }

  private StatsWindow window(String version) {
    long now = System.currentTimeMillis();
    try {
      return cp.controlPlane.stats().window("shop", version, now - 60_000, now + 1_000);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void requestsAndErrorsPerVersionReachTheControlPlane() throws Exception {
    cp.register("shop", "s1", stable.port(), "v1", 100, Protocol.PROTOCOL_HTTP);
    cp.register("shop", "c1", canary.port(), "v2", 100, Protocol.PROTOCOL_HTTP);
    Await.until("routable", () -> gateway.routingState().table().http().containsKey("shop")
        && gateway.routingState().table().http().get("shop").subsets().get(0).picker().endpoints().size() == 2);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    int errors = 0;
    for (int i = 0; i < 100; i++) {
      // POSTs: never retried once they reached an upstream, so every request is one attempt.
      int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/shop/x"))
          .timeout(TestDeadlines.HTTP)
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      errors += status == 500 ? 1 : 0;
    }
    int canaryHits = canary.hits.get();
    int stableHits = stable.hits.get();
    assertEquals(canaryHits, errors);
    Await.until("stats reported", () -> window("v1").requests() == stableHits
        && window("v2").requests() == canaryHits);
    assertEquals(0, window("v1").errors());
    assertEquals(canaryHits, window("v2").errors());
    assertTrue(window("v1").p99Seconds() > 0, "a latency histogram was reported");
    assertTrue(reporter.batchesSent() > 0);
  }
}
