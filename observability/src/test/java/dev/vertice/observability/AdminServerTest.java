package dev.vertice.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {

  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicBoolean ready = new AtomicBoolean(true);
  private Metrics metrics;
  private AdminServer admin;

  @BeforeEach
  void start() throws Exception {
    metrics = Metrics.withJvmMetrics();
    admin = AdminServer.bind("127.0.0.1", 0, metrics, ready::get)
        .json("/status", () -> "{\"ok\":true}")
        .start();
  }

  @AfterEach
  void stop() {
    admin.close();
    metrics.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metricsServesPrometheusTextWithCountersAndJvmMetrics() throws Exception {
    Counter.builder("vertice.test.events").register(metrics.registry()).increment(3);
    HttpResponse<String> r = send("GET", "/metrics");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    assertTrue(r.body().contains("vertice_test_events_total 3.0"), r.body());
    assertTrue(r.body().contains("jvm_memory_used_bytes"));
    assertTrue(r.body().contains("process_cpu_usage"));
  }

  @Test
  void healthzFollowsReadiness() throws Exception {
    assertEquals(200, send("GET", "/healthz").statusCode());
    ready.set(false);
    HttpResponse<String> r = send("GET", "/healthz");
    assertEquals(503, r.statusCode());
    assertEquals("{\"status\":\"not ready\"}", r.body());
  }

  @Test
  void addedJsonRouteIsServed() throws Exception {
    HttpResponse<String> r = send("GET", "/status");
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    assertEquals("{\"ok\":true}", r.body());
  }

  @Test
  void unknownPathIs404AndOtherMethodsAre405WithJsonBodies() throws Exception {
    HttpResponse<String> notFound = send("GET", "/nope");
    assertEquals(404, notFound.statusCode());
    assertEquals("{\"error\":\"not found\",\"path\":\"/nope\"}", notFound.body());
    HttpResponse<String> post = send("POST", "/metrics");
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
    assertEquals("{\"error\":\"method not allowed\"}", post.body());
  }

  @Test
  void failingRouteAnswers500WithoutDetails() throws Exception {
    admin.route("/boom", p -> {
      throw new IllegalStateException("secret internals");
    });
    HttpResponse<String> r = send("GET", "/boom");
    assertEquals(500, r.statusCode());
    assertEquals("{\"error\":\"internal error\"}", r.body());
  }

  @Test
  void quoteEscapesControlCharacters() {
    assertEquals("\"a\\\"b\\\\c\\n\\u0001\"", dev.vertice.common.JsonStrings.quote("a\"b\\c\n\u0001"));
  }
}
