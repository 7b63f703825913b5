package dev.vertice.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.gateway.Gateway;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.gateway.health.HealthFixtures.HttpHealth;
import dev.vertice.gateway.health.HealthFixtures.Plane;
import dev.vertice.observability.AdminServer;
import dev.vertice.observability.Metrics;
import dev.vertice.testkit.FakeClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /gateway/health-check/{service}} end to end: a real control plane, gateway and
 * upstream. The public listener answers the aggregate status, layer and age, never an instance; the
 * admin port (an {@link AdminServer} with {@link Gateway#healthCheckAdminRoute()}, as the launcher
 * mounts it) lists every probed instance; probe rounds beyond the rate get 429 and change nothing.
 */
@Timeout(120)
class GatewayHealthCheckRouteTest {

  private final FakeClock clock = new FakeClock();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Plane plane;
  private HttpHealth upstream;
  private HttpHealth paymentsUpstream;
  private Gateway gateway;
  private AdminServer admin;

  @BeforeEach
  void setUp() throws Exception {
    plane = new Plane();
    upstream = new HttpHealth("/health");
    paymentsUpstream = new HttpHealth("/health");
    plane.register("orders", "o1", upstream.port(), Protocol.PROTOCOL_HTTP, Map.of());
    plane.register("payments", "p1", paymentsUpstream.port(), Protocol.PROTOCOL_HTTP, Map.of());
    plane.awaitInstances("orders", 1);
    plane.awaitInstances("payments", 1);
  }

  private void start(HealthCheckConfig health, boolean exposeStatusPages) throws Exception {
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .watchClient(plane.watch).ticker(clock).healthCheck(health).exposeStatusPages(exposeStatusPages).start();
    admin = AdminServer.bind("127.0.0.1", 0, Metrics.bare(), () -> true)
        .route(HealthCheckRoute.PATH, gateway.healthCheckAdminRoute()).start();
  }

  @AfterEach
  void tearDown() {
    if (admin != null) {
      admin.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    upstream.close();
    paymentsUpstream.close();
    plane.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return send(gateway.port(), method, path);
  }

  private HttpResponse<String> send(int port, String method, String path) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  /** What the public answer must never hold: anything naming or counting an instance. */
  private void assertNoInstanceDetail(String body) {
    for (String leak : new String[] {"instances", "instance_id", "\"o1\"", "address", "\"port\"", "127.0.0.1",
        String.valueOf(upstream.port()), "version", "latency"}) {
      assertFalse(body.contains(leak), "the public answer shows " + leak + ": " + body);
    }
  }

  @Test
  void firstCallProbesSecondIsServedFromMemory() throws Exception {
    start(HealthCheckConfig.ofDefaults(), false);
    HttpResponse<String> first = send("GET", "/gateway/health-check/orders");
    assertEquals(200, first.statusCode(), first.body());
    assertEquals("application/json", first.headers().firstValue("content-type").orElse(""));
    assertEquals("no-store", first.headers().firstValue("cache-control").orElse(""));
    assertTrue(first.body().contains("\"service\":\"orders\",\"status\":\"SERVING\",\"layer\":\"probe\",\"age_ms\":0"),
        first.body());
    assertTrue(first.body().startsWith("{\"request_id\":\""), first.body());
    assertEquals(1, upstream.hits.get());

    clock.forwardTime(Duration.ofMillis(2500));
    HttpResponse<String> second = send("GET", "/gateway/health-check/ORDERS");
    assertEquals(200, second.statusCode());
    assertTrue(second.body().contains("\"layer\":\"memory\",\"age_ms\":2500"), second.body());
    assertEquals(1, upstream.hits.get(), "served from layer 1");

    upstream.status = 503;
    clock.forwardTime(Duration.ofSeconds(5));
    HttpResponse<String> third = send("GET", "/gateway/health-check/orders");
    assertEquals(503, third.statusCode(), third.body());
    assertTrue(third.body().contains("\"status\":\"NOT_SERVING\",\"layer\":\"probe\""), third.body());
  }

  @Test
  void publicAnswerIsTheAggregateStatusWithoutAnyInstance() throws Exception {
    start(HealthCheckConfig.ofDefaults(), false);
    HttpResponse<String> r = send("GET", "/gateway/health-check/orders");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().matches("\\{\"request_id\":\"[0-9a-f]+\",\"service\":\"orders\",\"status\":\"SERVING\","
        + "\"layer\":\"probe\",\"age_ms\":0(\\.0)?,\"breaker\":\"closed\"}\\n?"), r.body());
    assertNoInstanceDetail(r.body());
    upstream.status = 503;
    clock.forwardTime(Duration.ofSeconds(6));
    HttpResponse<String> down = send("GET", "/gateway/health-check/orders");
    assertEquals(503, down.statusCode(), down.body());
    assertNoInstanceDetail(down.body());
  }

  @Test
  void adminPortListsEveryProbedInstance() throws Exception {
    start(HealthCheckConfig.ofDefaults(), false);
    HttpResponse<String> r = send(admin.port(), "GET", "/gateway/health-check/orders");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"service\":\"orders\",\"status\":\"SERVING\""), r.body());
    assertTrue(r.body().contains("\"instances_total\":1"), r.body());
    assertTrue(r.body().contains("\"instance_id\":\"o1\""), r.body());
    assertTrue(r.body().contains("\"port\":" + upstream.port()), r.body());
    assertTrue(r.body().contains("\"address\":\"127.0.0.1\""), r.body());
    assertTrue(r.body().contains("\"detail\":\"HTTP 200\""), r.body());
    assertEquals(1, upstream.hits.get());
    // The public listener then answers from the same cache, still without the instances.
    HttpResponse<String> pub = send("GET", "/gateway/health-check/orders");
    assertTrue(pub.body().contains("\"layer\":\"memory\""), pub.body());
    assertNoInstanceDetail(pub.body());
    assertEquals(404, send(admin.port(), "GET", "/gateway/health-check/no-such-service").statusCode());
    assertEquals(400, send(admin.port(), "GET", "/gateway/health-check/").statusCode());
  }

  @Test
  void exposedStatusPagesListInstancesOnThePublicListenerAsInDevelopment() throws Exception {
    start(HealthCheckConfig.ofDefaults(), true);
    HttpResponse<String> r = send("GET", "/gateway/health-check/orders");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"instance_id\":\"o1\"") && r.body().contains("\"port\":" + upstream.port()),
        r.body());
  }

  @Test
  void probeRoundsBeyondTheRateGet429WithJsonAndChangeNothing() throws Exception {
    start(HealthCheckConfig.custom().maxProbeRoundsPerSecond(1).build(), false);
    assertEquals(200, send("GET", "/gateway/health-check/orders").statusCode());
    assertEquals(1, upstream.hits.get());

    // The clock stands still: the one round of this second is spent, so a miss is refused.
    HttpResponse<String> limited = send("GET", "/gateway/health-check/payments");
    assertEquals(429, limited.statusCode(), limited.body());
    assertEquals("application/json", limited.headers().firstValue("content-type").orElse(""));
    assertEquals("1", limited.headers().firstValue("retry-after").orElse(""));
    assertTrue(limited.body().contains("\"status\":\"RATE_LIMITED\""), limited.body());
    assertTrue(limited.body().contains("\"request_id\":\""), limited.body());
    assertTrue(limited.body().contains("retry later"), limited.body());
    assertEquals(0, paymentsUpstream.hits.get(), "nothing probed");
    assertEquals(429, send(admin.port(), "GET", "/gateway/health-check/payments").statusCode(),
        "the admin route starts probe rounds too, under the same rate");
    // A cached answer costs no round: still served.
    assertEquals(200, send("GET", "/gateway/health-check/orders").statusCode());
    assertEquals(1, upstream.hits.get());

    // Nothing was cached or counted against the breaker: a second later the miss probes.
    clock.forwardTime(Duration.ofSeconds(1));
    HttpResponse<String> later = send("GET", "/gateway/health-check/payments");
    assertEquals(200, later.statusCode(), later.body());
    assertTrue(later.body().contains("\"layer\":\"probe\",\"age_ms\":0"), later.body());
    assertTrue(later.body().contains("\"breaker\":\"closed\""), later.body());
    assertEquals(1, paymentsUpstream.hits.get());
  }

  @Test
  void unknownServiceIs404AndBadRequestsAreRefusedWithJson() throws Exception {
    start(HealthCheckConfig.ofDefaults(), false);
    HttpResponse<String> unknown = send("GET", "/gateway/health-check/no-such-service");
    assertEquals(404, unknown.statusCode());
    assertTrue(unknown.body().contains("\"status\":\"UNKNOWN_SERVICE\""), unknown.body());
    assertTrue(unknown.body().contains("\"request_id\":\""), unknown.body());

    HttpResponse<String> invalid = send("GET", "/gateway/health-check/bad!name");
    assertEquals(400, invalid.statusCode());
    assertTrue(invalid.body().contains("\"status\":\"INVALID_NAME\""), invalid.body());

    HttpResponse<String> none = send("GET", "/gateway/health-check/");
    assertEquals(400, none.statusCode());
    assertTrue(none.body().startsWith("{\"error\":\"a service name is required"), none.body());

    HttpResponse<String> post = send("POST", "/gateway/health-check/orders");
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", post.headers().firstValue("allow").orElse(""));
    assertTrue(post.body().contains("\"request_id\":\""), post.body());
    assertEquals(0, upstream.hits.get(), "nothing was probed");
  }
}
