package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.Await;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./vertice gateway} as a child process: its admin port serves /metrics, /healthz and the
 * routing table and status pages, which the public port does not.
 */
class GatewayCommandProcessTest {

  private static final Pattern READY = Pattern.compile(
      "listening on 127\\.0\\.0\\.1:(\\d+) .*admin: (http://127\\.0\\.0\\.1:\\d+)/metrics");

  @TempDir
  Path tmp;
  private Process process;
  private ControlPlane controlPlane;
  private ControlPlaneServer server;
  private HttpServer upstream;

  @AfterEach
  void tearDown() throws Exception {
    if (process != null) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (upstream != null) {
      upstream.stop(0);
    }
    if (server != null) {
      server.stop(Duration.ZERO);
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
  }

  @Test
  void adminPortServesGatewayMetricsAndReadiness() throws Exception {
    controlPlane = ControlPlane.builder().build();
    server = new ControlPlaneServer(controlPlane, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES);
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    upstream.createContext("/", x -> {
      x.getRequestBody().readAllBytes();
      x.sendResponseHeaders(200, -1);
      x.close();
    });
    upstream.start();
    controlPlane.store().register(Instance.newBuilder().setService("orders").setInstanceId("o1")
        .setAddress("127.0.0.1").setPort(upstream.getAddress().getPort()).setVersion("v7")
        .setWeight(100).setProtocol(Protocol.PROTOCOL_HTTP)
        .setHealth(dev.vertice.api.registry.v1.HealthStatus.HEALTH_STATUS_SERVING).build(), Duration.ofMinutes(10), Duration.ofMinutes(10));

    Path log = Files.createTempFile(tmp, "gateway", ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.vertice.launcher.Main",
        "gateway", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "-1", "--admin-port", "0", "--stats", "false",
        "--control-plane", "127.0.0.1:" + server.port()).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    String ready = Await.value("the gateway logs its addresses", Duration.ofSeconds(60),
        () -> lines(log).stream().filter(l -> READY.matcher(l).find()).findFirst().orElse(null));
    Matcher m = READY.matcher(ready);
    assertTrue(m.find());
    String proxy = "http://127.0.0.1:" + m.group(1);
    String admin = m.group(2);
    HttpClient http = HttpClient.newHttpClient();
    Await.until("/healthz is 200 once the first snapshot arrived", () -> status(http, admin + "/healthz") == 200);
    int[] last = {0};
    try {
      Await.until("orders is routed", () -> (last[0] = status(http, proxy + "/orders/x")) == 200);
    } catch (AssertionError e) {
      throw new AssertionError("last status " + last[0] + "; log:\n" + String.join("\n", lines(log)), e);
    }
    String metrics = Await.value("the request is counted", Duration.ofSeconds(10), () -> {
      String body = get(http, admin + "/metrics");
      // The upstream attempt's time is recorded apart from the request count: wait for both.
      return body.contains("vertice_gateway_requests_total{code_class=\"2xx\",service=\"orders\",version=\"v7\"}")
          && body.contains("vertice_gateway_upstream_seconds_count{service=\"orders\"}") ? body : null;
    });
    for (String name : List.of("vertice_gateway_request_seconds_bucket{service=\"orders\",le=\"0.001\"}",
        "vertice_gateway_upstream_seconds_count{service=\"orders\"}",
        "vertice_gateway_circuit_breaker_state{service=\"orders\",state=\"closed\"} 1.0",
        "vertice_watch_staleness_seconds", "vertice_watch_connected", "jvm_memory_used_bytes{")) {
      assertTrue(metrics.contains(name), "/metrics lacks " + name + ":\n" + metrics);
    }
    // The routing table and status pages: on the admin port, not on the public one (no --public-status-pages).
    String routes = get(http, admin + "/gateway/routes");
    assertTrue(routes.contains("\"orders\"") && routes.contains("127.0.0.1:" + upstream.getAddress().getPort()),
        routes);
    assertTrue(get(http, admin + "/gateway/status").contains("\"synced\":true"));
    assertEquals(404, status(http, proxy + "/gateway/routes"));
    assertEquals(404, status(http, proxy + "/gateway/status"));
    assertEquals(200, status(http, proxy + "/gateway/health-check/orders"));
    // Plaintext everywhere, and not the dev mode: one loud warning line says so.
    assertEquals(1, lines(log).stream().filter(l -> l.contains("WARNING") && l.contains("PLAINTEXT: the HTTP listener,"
        + " the admin port, the control-plane connection are not encrypted")).count(), String.join("\n", lines(log)));
    process.destroy();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
    assertEquals(0, process.exitValue(), String.join("\n", lines(log)));
  }

  private static int status(HttpClient http, String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String get(HttpClient http, String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (java.io.IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
