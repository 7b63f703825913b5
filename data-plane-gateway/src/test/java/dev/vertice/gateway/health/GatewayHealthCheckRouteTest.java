package dev.vertice.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.gateway.Gateway;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.gateway.health.HealthFixtures.HttpHealth;
import dev.vertice.gateway.health.HealthFixtures.Plane;
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

/** {@code GET /gateway/health-check/{service}} end to end: a real control plane, gateway and upstream. */
class GatewayHealthCheckRouteTest {

  private final FakeClock clock = new FakeClock();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Plane plane;
  private HttpHealth upstream;
  private Gateway gateway;

  @BeforeEach
  void setUp() throws Exception {
    plane = new Plane();
    upstream = new HttpHealth("/health");
    plane.register("orders", "o1", upstream.port(), Protocol.PROTOCOL_HTTP, Map.of());
    plane.awaitInstances("orders", 1);
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .watchClient(plane.watch).ticker(clock).start();
  }

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    upstream.close();
    plane.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void firstCallProbesSecondIsServedFromMemory() throws Exception {
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
  void unknownServiceIs404AndBadRequestsAreRefusedWithJson() throws Exception {
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
