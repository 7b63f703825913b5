package dev.vertice.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import dev.vertice.observability.http.SmallHttpServerConfig;
import dev.vertice.testkit.RawHttp;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminServerTest {

  private static final Duration READ = Duration.ofSeconds(5);

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
        .method(method, HttpRequest.BodyPublishers.noBody()).timeout(READ).build();
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

  @Test
  void keepAliveScrapesAndProbesOnOneConnectionTakeUnderFiveMsAtTheMedian() throws Exception {
    try (RawHttp c = RawHttp.connect(admin.port(), READ)) {
      long[] nanos = new long[300];
      for (int i = -30; i < nanos.length; i++) {
        long t0 = System.nanoTime();
        RawHttp.Answer a = c.exchange("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n");
        if (i >= 0) {
          nanos[i] = System.nanoTime() - t0;
        }
        assertEquals(200, a.status());
        assertEquals("no-store", a.header("cache-control"));
      }
      Arrays.sort(nanos);
      long medianMicros = nanos[nanos.length / 2] / 1000;
      assertTrue(medianMicros < 5000, "median " + medianMicros + " µs");
    }
  }

  @Test
  void stalledConnectionsDoNotHoldHealthzOrMetricsAndAreClosedAfterTheRequestTimeout() throws Exception {
    AdminServer slowloris = AdminServer.bind("127.0.0.1", 0, metrics, ready::get, null,
        SmallHttpServerConfig.from(AdminServer.DEFAULT_CONFIG).requestTimeout(Duration.ofSeconds(1)).build()).start();
    List<RawHttp> stalled = new ArrayList<>();
    try {
      // The JDK server (two threads, no timeout) stopped answering for good after two of these.
      for (int i = 0; i < 4; i++) {
        stalled.add(RawHttp.connect(slowloris.port(), READ).send("GET /heal"));
      }
      try (RawHttp probe = RawHttp.connect(slowloris.port(), READ)) {
        assertEquals(200, probe.exchange("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n").status());
        assertEquals(200, probe.exchange("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n").status());
      }
      for (RawHttp r : stalled) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        assertTrue(r.closedByServer(got), "a stalled connection is closed after the request timeout");
        assertTrue(got.toString(StandardCharsets.UTF_8).startsWith("HTTP/1.1 408 "), got.toString());
      }
    } finally {
      for (RawHttp r : stalled) {
        r.close();
      }
      slowloris.close();
    }
  }

  @Test
  void oversizedBodyGets413() throws Exception {
    try (RawHttp c = RawHttp.connect(admin.port(), READ)) {
      RawHttp.Answer a = c.exchange("POST /status HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n"
          + "x".repeat(2000));
      assertEquals(413, a.status());
      assertTrue(a.body().contains("larger than 1024 bytes"), a.body());
    }
  }

  @Test
  void headAnswersTheHeadersOnly() throws Exception {
    try (RawHttp c = RawHttp.connect(admin.port(), READ)) {
      RawHttp.Answer head = c.send("HEAD /status HTTP/1.1\r\nHost: a\r\n\r\n").read(false);
      assertEquals(200, head.status());
      assertEquals("11", head.header("content-length"));
      assertEquals("{\"ok\":true}", c.exchange("GET /status HTTP/1.1\r\nHost: a\r\n\r\n").body());
    }
  }

  @Test
  void servesHttpsWhenGivenAnSslContext(@TempDir Path dir) throws Exception {
    SSLContext tls = dev.vertice.observability.http.SelfSignedTls.create(dir);
    try (AdminServer https = AdminServer.bind("127.0.0.1", 0, metrics, ready::get, tls).start()) {
      HttpClient client = HttpClient.newBuilder().sslContext(tls).connectTimeout(READ).build();
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
          URI.create("https://localhost:" + https.port() + "/healthz")).timeout(READ).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals("{\"status\":\"ok\"}", r.body());
    }
  }
}
