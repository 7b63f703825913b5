package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GatewayProxyTest {

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private ControlPlaneFixture cp;
  private Gateway gateway;
  private HttpClient http;

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
            .watchTrafficPolicies(false).build())
        .controlPlane(cp.address()).start();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void tearDown() throws Exception {
    gateway.close();
    for (AutoCloseable c : closeables) {
      c.close();
    }
    cp.close();
  }

  private Upstream upstream(String id) throws Exception {
    Upstream u = new Upstream(id);
    closeables.add(u);
    return u;
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
        .timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void awaitRoutable(String service) {
    Await.until(service + " routable", () -> gateway.routingState().table().http().containsKey(service)
        && gateway.routingState().table().http().get(service).hasInstances());
  }

  @Test
  void proxiesToTheRegisteredInstanceWithPrefixStrippedAndForwardingHeaders() throws Exception {
    Upstream a = upstream("a");
    cp.register("echo", "a", a.port());
    awaitRoutable("echo");

    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    HttpResponse<String> r = get("/ECHO_/hello/world?x=1".replace("ECHO_", "echo"), "traceparent", traceparent,
        "X-Forwarded-For", "10.0.0.1");
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("\"instance\":\"a\""), r.body());
    Upstream.Seen s = a.seen.poll();
    assertNotNull(s);
    assertEquals("/hello/world?x=1", s.uri());
    assertEquals(traceparent, s.header("traceparent"));
    assertEquals("10.0.0.1, 127.0.0.1", s.header("X-Forwarded-For"));
    assertEquals("http", s.header("X-Forwarded-Proto"));
    assertEquals("127.0.0.1:" + gateway.port(), s.header("X-Forwarded-Host"));
    assertNotNull(s.header("X-Request-Id"));
    assertEquals(s.header("X-Request-Id"), r.headers().firstValue("x-request-id").orElse(null));
  }

  @Test
  void serviceNamesInThePathAreNormalised() throws Exception {
    Upstream a = upstream("a");
    cp.register("osint-service", "a", a.port());
    awaitRoutable("osint-service");
    HttpResponse<String> r = get("/OSINT_SERVICE/x");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("/x", a.seen.poll().uri());
  }

  @Test
  void unknownServiceIs404JsonWithRequestId() throws Exception {
    HttpResponse<String> r = get("/nope/x", "X-Request-Id", "req-123");
    assertEquals(404, r.statusCode());
    assertTrue(r.body().contains("\"error\":\"unknown_service\""), r.body());
    assertTrue(r.body().contains("\"request_id\":\"req-123\""), r.body());
    assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
  }

  @Test
  void serviceWithoutServingInstanceIs503Json() throws Exception {
    Upstream a = upstream("a");
    cp.register("echo", "a", a.port());
    awaitRoutable("echo");
    cp.setHealth("echo", "a", HealthStatus.HEALTH_STATUS_NOT_SERVING);
    Await.until("echo not serving", () -> !gateway.routingState().table().http().get("echo").hasInstances());
    HttpResponse<String> r = get("/echo/x");
    assertEquals(503, r.statusCode());
    assertTrue(r.body().contains("\"error\":\"no_healthy_instance\""), r.body());
    assertTrue(r.body().contains("\"request_id\":\""), r.body());
    assertEquals(0, a.hits.get());
  }

  @Test
  void registrationChangeReachesRoutingWithinOnePushWithoutFailedRequests() throws Exception {
    Upstream a = upstream("a");
    Upstream b = upstream("b");
    cp.register("echo", "a", a.port());
    awaitRoutable("echo");

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    List<Thread> clients = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th = new Thread(() -> {
        while (!stop.get()) {
          try {
            HttpResponse<String> r = get("/echo/x");
            if (r.statusCode() == 200) {
              ok.incrementAndGet();
            } else {
              failures.incrementAndGet();
            }
          } catch (Exception e) {
            failures.incrementAndGet();
          }
        }
      });
      th.start();
      clients.add(th);
    }
    Await.until("traffic flows", () -> ok.get() > 50);
    // Add b, then remove a: each change is one push; requests must keep succeeding throughout.
    cp.register("echo", "b", b.port());
    Await.until("b receives traffic", () -> b.hits.get() > 0);
    cp.deregister("echo", "a");
    Await.until("a out of the table", () -> gateway.routingState().table().http().get("echo").subsets().get(0)
        .picker().endpoints().size() == 1);
    int aHits = a.hits.get();
    int okBefore = ok.get();
    Await.until("traffic continues on b", () -> ok.get() > okBefore + 50);
    stop.set(true);
    for (Thread th : clients) {
      th.join();
    }
    assertEquals(0, failures.get(), "no request may fail during the change");
    // Requests routed to a before the table swapped may still arrive there: at most one per client.
    assertTrue(a.hits.get() - aHits <= clients.size(),
        "a removed instance receives nothing routed after the push: " + (a.hits.get() - aHits) + " late hits");
  }

  @Test
  void perRouteTimeoutAnswers504JsonAndPathRulesStripTheirPrefix() throws Exception {
    Upstream slow = upstream("slow");
    slow.delayMillis = 3000;
    Upstream fast = upstream("fast");
    cp.register("slow", "s", slow.port());
    cp.register("fast", "f", fast.port());
    Gateway g = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
            .rules(java.util.List.of(dev.vertice.gateway.routing.RouteRule.parse("path:/api/slow=slow;timeout=200ms"),
                dev.vertice.gateway.routing.RouteRule.parse("host:fast.example=fast")))
            .build())
        .controlPlane(cp.address()).start();
    try {
      Await.until("routable", () -> g.routingState().table().http().containsKey("slow")
          && g.routingState().table().http().containsKey("fast"));
      long start = System.nanoTime();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port()
          + "/api/slow/x"))
              .timeout(TestDeadlines.HTTP)
              .POST(HttpRequest.BodyPublishers.ofString("p")).build(), HttpResponse.BodyHandlers.ofString());
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(504, r.statusCode(), r.body());
      assertTrue(r.body().contains("\"error\":\"upstream_timeout\""), r.body());
      assertTrue(r.body().contains("\"request_id\":\""), r.body());
      assertTrue(ms < 2500, "answered after " + ms + " ms, before the upstream's 3 s");
      assertEquals("/x", slow.seen.peek().uri());
      // Raw, since the JDK client will not set Host.
      try (java.net.Socket sock = new java.net.Socket("127.0.0.1", g.port())) {
        sock.setSoTimeout(10_000);
        sock.getOutputStream().write(("GET /anything HTTP/1.1\r\nHost: fast.example\r\nConnection: close\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String answer = new String(sock.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
      }
      assertEquals("/anything", fast.seen.poll().uri());
    } finally {
      g.close();
    }
  }

  /**
   * Pipelined requests (bodyless ones leave the client connection reading while they are proxied)
   * are answered one by one, in order, the one with a body with all of it.
   */
  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    Upstream a = upstream("a");
    cp.register("echo", "a", a.port());
    awaitRoutable("echo");
    try (java.net.Socket sock = new java.net.Socket("127.0.0.1", gateway.port())) {
      sock.setSoTimeout(10_000);
      sock.getOutputStream().write(("GET /echo/p1 HTTP/1.1\r\nHost: gw\r\n\r\n"
          + "POST /echo/p2 HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello"
          + "GET /echo/p3 HTTP/1.1\r\nHost: gw\r\n\r\n"
          + "GET /echo/p4 HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String answer = new String(sock.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
      assertEquals(4, answer.split("HTTP/1.1 200 ", -1).length - 1, answer);
      int p2 = answer.indexOf("\"bytes\":5");
      assertTrue(p2 > answer.indexOf("\"bytes\":0") && p2 < answer.lastIndexOf("\"bytes\":0"), answer);
    }
    for (String uri : List.of("/p1", "/p2", "/p3", "/p4")) {
      Upstream.Seen seen = a.seen.poll();
      assertNotNull(seen, uri);
      assertEquals(uri, seen.uri());
      assertEquals(uri.equals("/p2") ? 5 : 0, seen.bodyBytes(), uri);
    }
  }

  @Test
  void shutdownDrainsRequestsInFlight() throws Exception {
    Upstream slow = upstream("slow");
    slow.delayMillis = 500;
    cp.register("slow", "s", slow.port());
    awaitRoutable("slow");
    java.util.concurrent.CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + gateway.port() + "/slow/x"))
            .timeout(TestDeadlines.HTTP).build(), HttpResponse.BodyHandlers.ofString());
    Await.until("request in flight", () -> gateway.httpProxy().inFlight() == 1);
    assertTrue(gateway.shutdown(Duration.ofSeconds(5)), "drained");
    assertEquals(200, inFlight.get().statusCode());
    assertEquals(0, gateway.httpProxy().inFlight());
  }

  @Test
  void statusPagesAreOffThePublicListenerByDefaultWhileHealthCheckStays() throws Exception {
    Upstream a = upstream("a");
    cp.register("echo", "a", a.port());
    awaitRoutable("echo");
    for (String path : List.of("/gateway/routes", "/gateway/status")) {
      HttpResponse<String> r = get(path);
      assertEquals(404, r.statusCode(), path);
      assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"), path);
      assertTrue(!r.body().contains("127.0.0.1:" + a.port()), r.body());
    }
    assertEquals(200, get("/gateway/health-check/echo").statusCode());
    // The same bodies stay available to whoever mounts them elsewhere (the launcher's admin port).
    assertTrue(gateway.routesJson().contains("127.0.0.1:" + a.port()), gateway.routesJson());
    assertTrue(gateway.statusJson().contains("\"synced\":true"), gateway.statusJson());
  }

  @Test
  void adminRoutesAndStatusAnswerJsonWhenExposed() throws Exception {
    gateway.close();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
            .watchTrafficPolicies(false).build())
        .controlPlane(cp.address()).exposeStatusPages(true).start();
    Upstream a = upstream("a");
    cp.register("echo", "a", a.port());
    awaitRoutable("echo");
    HttpResponse<String> routes = get("/gateway/routes");
    assertEquals(200, routes.statusCode());
    assertTrue(routes.body().contains("\"echo\""), routes.body());
    assertTrue(routes.body().contains("127.0.0.1:" + a.port()), routes.body());
    HttpResponse<String> status = get("/gateway/status");
    assertEquals(200, status.statusCode());
    assertTrue(status.body().contains("\"synced\":true"), status.body());
    assertTrue(status.body().contains("\"staleness_seconds\":0.0"), status.body());
    assertEquals(404, get("/gateway/nothing-here").statusCode());
  }
}
