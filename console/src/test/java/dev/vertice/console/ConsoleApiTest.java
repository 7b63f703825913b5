package dev.vertice.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.security.auth.AuthInterceptor;
import dev.vertice.security.auth.AuthPolicy;
import dev.vertice.security.auth.DenialLog;
import dev.vertice.security.auth.IdentityMapper;
import dev.vertice.security.auth.JwtVerifier;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestJwts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The console's HTTP surface without a browser: pages, JSON API, errors, authentication, CSRF, events. */
@Timeout(60)
class ConsoleApiTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef-console".getBytes(StandardCharsets.UTF_8);
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
  private ConsoleFixture fx;

  @AfterEach
  void stop() {
    if (fx != null) {
      fx.close();
    }
  }

  private HttpResponse<String> call(String method, String path, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fx.base() + path)).timeout(WAIT)
        .method(method, HttpRequest.BodyPublishers.noBody());
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return call("GET", path, Map.of());
  }

  private static AuthInterceptor auth() {
    return new AuthInterceptor(new IdentityMapper("vertice", AuthPolicy.empty()),
        JwtVerifier.builder().hs256Secret(SECRET).build(), DenialLog.ofDefaults());
  }

  private static Map<String, String> bearer(String subject) {
    long exp = System.currentTimeMillis() / 1000 + 600;
    return Map.of("Authorization", "Bearer " + TestJwts.hs256(SECRET, TestJwts.claims(subject, exp, null)));
  }

  @Test
  void servesPagesAndJsonWithHardeningHeaders() throws Exception {
    fx = new ConsoleFixture(ConsoleConfig.ofDefaults(), null);
    fx.register("orders", "orders-1", "v1", "eu-1a", HealthStatus.HEALTH_STATUS_SERVING);

    HttpResponse<String> page = get("/ui/");
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("<title>Vertice console</title>"));
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
    assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
    assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElse(""));
    assertEquals(200, get("/ui/console.js").statusCode());
    assertEquals(308, get("/ui").statusCode());

    HttpResponse<String> services = get("/ui/api/services");
    assertEquals(200, services.statusCode());
    assertTrue(services.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    assertTrue(services.body().contains("\"name\":\"orders\""), services.body());
    assertTrue(services.body().contains("\"zones\":[\"eu-1a\"]"), services.body());
    HttpResponse<String> service = get("/ui/api/services/orders");
    assertTrue(service.body().contains("\"health\":\"SERVING\""), service.body());
    assertTrue(service.body().contains("\"metadata\":{\"team\":\"payments\"}"), service.body());
    assertTrue(service.body().matches(".*\"leaseRemainingMs\":\\d+.*"), service.body());
    assertTrue(get("/ui/api/push").body().contains("\"convergence\":{"));
    assertTrue(get("/ui/api/nodes").body().startsWith("{\"revision\":"));

    HttpResponse<String> missing = get("/ui/api/services/nope");
    assertEquals(404, missing.statusCode());
    assertEquals("{\"error\":\"not found\",\"message\":\"no service nope\"}", missing.body());
    assertEquals(404, get("/ui/api/bogus").statusCode());
    assertEquals(404, get("/ui/nothing.html").statusCode());
    HttpResponse<String> delete = call("DELETE", "/ui/api/services", Map.of());
    assertEquals(405, delete.statusCode());
    assertTrue(delete.body().startsWith("{\"error\":\"method not allowed\""), delete.body());
  }

  @Test
  void actionsNeedTheCsrfHeaderAndTheSameOrigin() throws Exception {
    fx = new ConsoleFixture(ConsoleConfig.ofDefaults(), null);
    HttpResponse<String> noHeader = call("POST", "/ui/api/rollouts/r1/pause", Map.of());
    assertEquals(403, noHeader.statusCode());
    assertTrue(noHeader.body().startsWith("{\"error\":\"csrf\""), noHeader.body());
    HttpResponse<String> otherOrigin = call("POST", "/ui/api/rollouts/r1/pause",
        Map.of(Console.CSRF_HEADER, "1", "Origin", "http://evil.example"));
    assertEquals(403, otherOrigin.statusCode());
    assertTrue(otherOrigin.body().contains("cross-origin"), otherOrigin.body());
    HttpResponse<String> ok = call("POST", "/ui/api/rollouts/r1/pause",
        Map.of(Console.CSRF_HEADER, "1", "Origin", fx.base()));
    assertEquals(404, ok.statusCode(), "past the CSRF check: no such rollout");
    assertEquals("{\"error\":\"not found\",\"message\":\"no rollout r1\"}", ok.body());
  }

  @Test
  void readOnlyConsoleRefusesActions() throws Exception {
    fx = new ConsoleFixture(ConsoleConfig.custom().mode(ConsoleConfig.Mode.READ_ONLY).build(), null);
    HttpResponse<String> r = call("POST", "/ui/api/rollouts/r1/promote", Map.of(Console.CSRF_HEADER, "1"));
    assertEquals(403, r.statusCode());
    assertTrue(r.body().startsWith("{\"error\":\"read-only\""), r.body());
    assertTrue(get("/ui/api/whoami").body().contains("\"actions\":false"));
  }

  @Test
  void authOnNeedsAnIdentityAndTheAdminRoleToAct() throws Exception {
    fx = new ConsoleFixture(ConsoleConfig.ofDefaults(), auth());
    fx.register("orders", "orders-1", "v1", "", HealthStatus.HEALTH_STATUS_SERVING);
    fx.register("orders", "orders-2", "v2", "", HealthStatus.HEALTH_STATUS_SERVING);

    HttpResponse<String> anonymous = get("/ui/api/services");
    assertEquals(401, anonymous.statusCode());
    assertTrue(anonymous.body().startsWith("{\"error\":\"unauthenticated\""), anonymous.body());
    assertEquals(401, call("GET", "/ui/api/services", Map.of("Authorization", "Bearer not-a-jwt")).statusCode());
    assertEquals(200, get("/ui/").statusCode(), "the page shell holds no data and loads without identity");

    HttpResponse<String> service = call("GET", "/ui/api/services", bearer("spiffe://vertice/service/orders"));
    assertEquals(403, service.statusCode(), service.body());
    HttpResponse<String> gateway = call("GET", "/ui/api/services", bearer("spiffe://vertice/gateway/gw-1"));
    assertEquals(200, gateway.statusCode(), gateway.body());

    Await.until("this control plane leads the canary", WAIT, () -> fx.cp.canary().leading());
    Rollout r = fx.cp.canary().create(RolloutSpec.draft().service("orders").stableVersion("v1")
        .candidateVersion("v2").stageDuration(Duration.ofMinutes(10)).analysisInterval(Duration.ofMinutes(5))
        .progressDeadline(Duration.ofHours(1)).validate().orThrow());
    Map<String, String> gatewayAction = new java.util.HashMap<>(bearer("spiffe://vertice/gateway/gw-1"));
    gatewayAction.put(Console.CSRF_HEADER, "1");
    HttpResponse<String> refused = call("POST", "/ui/api/rollouts/" + r.id() + "/pause", gatewayAction);
    assertEquals(403, refused.statusCode());
    assertTrue(refused.body().contains("the admin role is required"), refused.body());
    assertTrue(refused.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));

    Map<String, String> adminAction = new java.util.HashMap<>(bearer("spiffe://vertice/admin/alice"));
    assertEquals(403, call("POST", "/ui/api/rollouts/" + r.id() + "/pause", adminAction).statusCode(),
        "an admin without the CSRF header is refused too");
    adminAction.put(Console.CSRF_HEADER, "1");
    HttpResponse<String> paused = call("POST", "/ui/api/rollouts/" + r.id() + "/pause", adminAction);
    assertEquals(200, paused.statusCode(), paused.body());
    assertTrue(paused.body().contains("\"state\":\"PAUSED\""), paused.body());
    HttpResponse<String> again = call("POST", "/ui/api/rollouts/" + r.id() + "/bogus", adminAction);
    assertEquals(404, again.statusCode());
  }

  @Test
  void eventStreamTellsOfChangesAndIsCapped() throws Exception {
    fx = new ConsoleFixture(ConsoleConfig.custom().maxEventStreams(1).build(), null);
    try (Socket s = new Socket("127.0.0.1", fx.admin.port())) {
      s.setSoTimeout((int) WAIT.toMillis());
      OutputStream out = s.getOutputStream();
      out.write("GET /ui/api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("HTTP/1.1 200 OK", in.readLine());
      String line;
      boolean eventStream = false;
      while (!(line = in.readLine()).isEmpty()) {
        eventStream |= line.toLowerCase(java.util.Locale.ROOT).startsWith("content-type: text/event-stream");
      }
      assertTrue(eventStream);
      Await.until("the page is counted", WAIT, () -> fx.console.events().openStreams() == 1);

      HttpResponse<String> second = get("/ui/api/events");
      assertEquals(503, second.statusCode());
      assertTrue(second.body().startsWith("{\"error\":\"too many live pages\""), second.body());

      long registered = System.nanoTime();
      fx.register("payments", "payments-1", "v1", "", HealthStatus.HEALTH_STATUS_SERVING);
      String change = null;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("data: {\"revision\"") && line.contains("payments")) {
          change = line;
          break;
        }
      }
      assertNotNull(change);
      // Reported, not asserted: the coalescing delay (20 ms) plus scheduling, on a loaded machine.
      System.out.printf("console event %d ms after the register call began%n",
          (System.nanoTime() - registered) / 1_000_000);
      assertTrue(change.contains("\"services\":[\"payments\"]"), change);
    }
    Await.until("a closed page frees its place", WAIT, () -> fx.console.events().openStreams() == 0);
  }
}
