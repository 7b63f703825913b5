package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.StatsReporter;
import dev.vertice.controlplane.autoscale.Signals;
import dev.vertice.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Requests in flight per version travel from the gateway's routing counters through the stats
 * reporter to the control plane's autoscaling signals, even while no request finishes.
 */
@Timeout(60)
class InFlightReportingTest {

  private ControlPlaneFixture cp;
  private StatsReporter reporter;
  private Gateway gateway;
  private Upstream slow;

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    if (reporter != null) {
      reporter.close();
    }
    if (slow != null) {
      slow.close();
    }
    if (cp != null) {
      cp.close();
    }
  }

  @Test
  void longRequestsKeepTheServiceActiveAndCountAsInFlight() throws Exception {
    cp = ControlPlaneFixture.start();
    AtomicReference<Gateway> started = new AtomicReference<>();
    reporter = StatsReporter.builder().controlPlane(cp.address()).reporter("gateway-inflight")
        .interval(Duration.ofMillis(200))
        .inFlight(() -> started.get() == null ? Map.of() : started.get().routingState().inFlight()).build();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .controlPlane(cp.address()).stats(reporter::record).start();
    started.set(gateway);
    slow = new Upstream("slow");
    slow.delayMillis = 4_000;
    cp.register("shop", "s1", slow.port(), "v3", 100, Protocol.PROTOCOL_HTTP);
    Await.until("routable", () -> gateway.routingState().table().http().containsKey("shop"));

    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<CompletableFuture<HttpResponse<Void>>> pending = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      pending.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/shop/x"))
          .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.discarding()));
    }
    Await.until("the gateway counts 3 in flight", () -> gateway.routingState().inFlight()
        .getOrDefault("shop", Map.of()).getOrDefault("v3", 0) == 3);
    Signals flying = Await.value("the control plane sees 3 in flight", Duration.ofSeconds(10), () -> {
      Signals s = cp.controlPlane.autoscale().signals("shop", "v3");
      return s.inFlight() == 3 ? s : null;
    });
    assertEquals(0, flying.requests(), "none finished yet");
    assertTrue(flying.active(), "in flight alone is activity");

    for (CompletableFuture<HttpResponse<Void>> f : pending) {
      assertEquals(200, f.get(20, TimeUnit.SECONDS).statusCode());
    }
    Signals done = Await.value("the finished requests reported, none in flight", Duration.ofSeconds(10), () -> {
      Signals s = cp.controlPlane.autoscale().signals("shop", "v3");
      return s.inFlight() == 0 && s.requests() > 0 ? s : null;
    });
    assertTrue(done.requests() >= 1 && done.requests() <= 3, "the last batch counts what finished in it: " + done);
    assertEquals(Map.of(), gateway.routingState().inFlight());
  }
}
