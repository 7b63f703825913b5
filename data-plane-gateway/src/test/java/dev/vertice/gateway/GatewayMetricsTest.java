package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vertice.gateway.resilience.ResilienceConfig;
import dev.vertice.gateway.routing.ServiceRoute;
import dev.vertice.testkit.Await;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway's meters after real requests through a real gateway, control plane and upstreams. */
class GatewayMetricsTest {

  private ControlPlaneFixture cp;
  private Gateway gateway;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<Upstream> upstreams = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void setUp() {
    cp = ControlPlaneFixture.start();
  }

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    upstreams.forEach(Upstream::close);
    cp.close();
  }

  private void startGateway(ResilienceConfig resilience) throws Exception {
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
        .resilience(resilience).build()).controlPlane(cp.address()).meterRegistry(meters).start();
  }

  private Upstream upstream(String service, String id, String version, int status) throws Exception {
    Upstream u = new Upstream(id);
    u.status = status;
    upstreams.add(u);
    cp.register(service, id, u.port(), version, 100, dev.vertice.api.registry.v1.Protocol.PROTOCOL_HTTP);
    Await.until(service + " is routed", () -> {
      ServiceRoute r = gateway.routingState().table().http().get(service);
      return r != null && r.hasInstances();
    });
    return u;
  }

  private int send(String method, String path) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
        .timeout(Duration.ofSeconds(10));
    b.method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("payload")
        : HttpRequest.BodyPublishers.noBody());
    return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private double requests(String service, String version, String codeClass) {
    Counter c = meters.find("vertice.gateway.requests").tags("service", service, "version", version,
        "code_class", codeClass).counter();
    return c == null ? 0 : c.count();
  }

  private static ResilienceConfig.Builder lenient() {
    return ResilienceConfig.custom().instanceBreaker(100, 1000, 1000).serviceBreaker(100, 1000, 1000)
        .outlier(1000, Duration.ofSeconds(30), Duration.ofMinutes(5));
  }

  @Test
  void requestsAreCountedOnceByServiceVersionAndFinalCodeClassAndRetriesAreCounted() throws Exception {
    startGateway(lenient().build());
    upstream("orders", "o1", "v1", 200);
    upstream("users", "u1", "v2", 404);
    upstream("pay", "p1", "v3", 500);
    for (int i = 0; i < 5; i++) {
      assertEquals(200, send("GET", "/orders/x"));
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(404, send("GET", "/users/x"));
    }
    assertEquals(404, send("GET", "/nosuchservice/x"));
    // A GET answered 500 by the only instance is tried 3 times (max attempts): 2 retries, 1 request.
    assertEquals(500, send("GET", "/pay/x"));

    // The meters are updated on the event loop right after the response's last bytes are written.
    Await.until("the requests are counted", () -> requests("pay", "v3", "5xx") == 1
        && requests("orders", "v1", "2xx") == 5 && requests("users", "v2", "4xx") == 3);
    assertEquals(5, requests("orders", "v1", "2xx"));
    assertEquals(3, requests("users", "v2", "4xx"));
    assertEquals(1, requests("pay", "v3", "5xx"));
    assertNull(meters.find("vertice.gateway.requests").tag("service", "nosuchservice").counter(),
        "an unknown service is not a label value");
    assertEquals(2, meters.get("vertice.gateway.retries").tag("service", "pay").counter().count());
    assertEquals(gateway.httpProxy().retries(), 2);
    Timer upstream = meters.get("vertice.gateway.upstream").tag("service", "pay").timer();
    assertEquals(3, upstream.count(), "one upstream sample per attempt");
    Timer request = meters.get("vertice.gateway.request").tag("service", "pay").timer();
    assertEquals(1, request.count(), "one request sample per request");
    assertEquals(5, meters.get("vertice.gateway.request").tag("service", "orders").timer().count());
  }

  @Test
  void anOutlierEjectionIsCounted() throws Exception {
    startGateway(ResilienceConfig.custom().instanceBreaker(100, 1000, 1000).serviceBreaker(100, 1000, 1000)
        .outlier(3, Duration.ofMinutes(5), Duration.ofMinutes(5)).build());
    upstream("pay", "p1", "v1", 500);
    for (int i = 0; i < 3; i++) {
      assertEquals(500, send("POST", "/pay/x"));
    }
    Await.until("the ejection is counted", () -> meters.find("vertice.gateway.outlier.ejections")
        .tag("service", "pay").counter() != null
        && meters.get("vertice.gateway.outlier.ejections").tag("service", "pay").counter().count() == 1);
    assertEquals(503, send("POST", "/pay/x"), "the only instance is ejected");
    Await.until("the 503 is counted", () -> requests("pay", "none", "5xx") == 1);
  }

  @Test
  void breakerTransitionsAndStateAreExportedAndCircuitOpenAnswersCountWithVersionNone() throws Exception {
    startGateway(ResilienceConfig.custom().instanceBreaker(100, 1000, 1000).serviceBreaker(50, 4, 4)
        .outlier(1000, Duration.ofSeconds(30), Duration.ofMinutes(5)).openWait(Duration.ofMinutes(5)).build());
    upstream("pay", "p1", "v1", 500);
    for (int i = 0; i < 4; i++) {
      assertEquals(500, send("POST", "/pay/x")); // a POST that reached an upstream is not retried
    }
    Await.until("the breaker opened", () -> meters.find("vertice.gateway.circuit.breaker.transitions")
        .tags("service", "pay", "to", "open").counter() != null);
    assertEquals(1, meters.get("vertice.gateway.circuit.breaker.transitions").tags("service", "pay", "to", "open")
        .counter().count());
    Gauge open = meters.get("vertice.gateway.circuit.breaker.state").tags("service", "pay", "state", "open").gauge();
    Gauge closed = meters.get("vertice.gateway.circuit.breaker.state").tags("service", "pay", "state", "closed")
        .gauge();
    assertEquals(1, open.value());
    assertEquals(0, closed.value());
    assertEquals(503, send("GET", "/pay/x"));
    Await.until("the 503 is counted", () -> requests("pay", "none", "5xx") == 1);
    assertEquals(4, requests("pay", "v1", "5xx"));
    assertEquals(1, requests("pay", "none", "5xx"), "the gateway's own 503 has no version");
  }
}
