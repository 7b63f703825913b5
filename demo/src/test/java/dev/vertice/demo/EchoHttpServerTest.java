package dev.vertice.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EchoHttpServerTest {

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<DemoService> servers = new ArrayList<>();

  @AfterEach
  void tearDown() {
    servers.forEach(DemoService::close);
  }

  private EchoHttpServer start(DemoConfig c) throws Exception {
    EchoHttpServer s = EchoHttpServer.start(c);
    servers.add(s);
    return s;
  }

  private HttpResponse<String> get(EchoHttpServer s, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(EchoHttpServer s, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void echoNamesServiceInstanceAndVersionOnAnyPath() throws Exception {
    EchoHttpServer s = start(DemoConfig.custom().service("osint-service").instanceId("osint-7").version("v2").build());
    HttpResponse<String> r = get(s, "/api/scan?x=1");
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
    assertEquals("{\"service\":\"osint-service\",\"instance\":\"osint-7\",\"version\":\"v2\",\"method\":\"GET\","
        + "\"path\":\"/api/scan\"}", r.body());
    HttpResponse<String> p = post(s, "/x", "payload");
    assertEquals(200, p.statusCode());
    assertTrue(p.body().contains("\"method\":\"POST\""), p.body());
  }

  @Test
  void healthSwitchFailsAndRestoresHealth() throws Exception {
    EchoHttpServer s = start(DemoConfig.custom().service("test-service").build());
    assertEquals(200, get(s, "/health").statusCode());
    HttpResponse<String> off = post(s, "/admin/health", "{\"serving\": false}");
    assertEquals(200, off.statusCode());
    assertEquals("{\"serving\":false}", off.body());
    HttpResponse<String> down = get(s, "/health");
    assertEquals(503, down.statusCode());
    assertEquals("{\"status\":\"NOT_SERVING\"}", down.body());
    assertEquals(200, get(s, "/anything").statusCode(), "echo still answers: only health is failed");
    post(s, "/admin/health", "{\"serving\":true}");
    assertEquals(200, get(s, "/health").statusCode());
  }

  @Test
  void badAdminBodyGets400AndChangesNothing() throws Exception {
    EchoHttpServer s = start(DemoConfig.custom().service("test-service").build());
    HttpResponse<String> r = post(s, "/admin/health", "{\"serving\":\"no\"}");
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("error"), r.body());
    assertTrue(s.serving());
    HttpResponse<String> big = post(s, "/admin/health", "x".repeat(EchoHttpServer.MAX_ADMIN_BODY_BYTES + 1));
    assertEquals(413, big.statusCode());
    assertTrue(s.serving());
  }

  @Test
  void errorRateOneFailsEveryEchoButNotHealth() throws Exception {
    EchoHttpServer s = start(DemoConfig.custom().service("test-service").errorRate(1).build());
    HttpResponse<String> r = get(s, "/x");
    assertEquals(500, r.statusCode());
    assertTrue(r.body().startsWith("{\"error\":\"injected error\""), r.body());
    assertEquals(200, get(s, "/health").statusCode());
  }

  @Test
  void latencyDelaysEchoesAndCountsThemInFlight() throws Exception {
    EchoHttpServer s = start(DemoConfig.custom().service("test-service").latency(Duration.ofMillis(300)).build());
    var pending = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/slow")).build(),
        HttpResponse.BodyHandlers.ofString());
    dev.vertice.testkit.Await.until("the echo is in flight", () -> s.inFlight() == 1);
    assertEquals("{\"inflight\":1}", get(s, "/admin/inflight").body());
    assertEquals(200, pending.get().statusCode());
    // The counter drops just after the response is written: the client may read it first.
    dev.vertice.testkit.Await.until("the echo is no longer in flight", () -> s.inFlight() == 0);
    assertEquals("{\"inflight\":0}", get(s, "/admin/inflight").body());
  }

  @Test
  void manyInstancesRunInOneJvm() throws Exception {
    for (String name : SeedServices.NAMES) {
      EchoHttpServer s = start(DemoConfig.custom().service(name).build());
      assertTrue(get(s, "/").body().contains("\"service\":\"" + name + "\""));
    }
    assertEquals(22, servers.size());
  }
}
