package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.Await;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: {@code ./vertice gateway} started while its control plane is unreachable (a child
 * process, real sockets) says so clearly — {@code /healthz} on its admin port is 503 with the reason,
 * and the log says it is not ready and why — and serves routes once a control plane appears on the
 * port it was given (picked free first, bound later).
 */
@Timeout(120)
class GatewayColdStartTest {

  private static final Pattern READY = Pattern.compile(
      "listening on 127\\.0\\.0\\.1:(\\d+) .*admin: (http://127\\.0\\.0\\.1:\\d+)/metrics");

  @TempDir
  Path tmp;
  private Process process;
  private ControlPlane controlPlane;
  private ControlPlaneServer server;
  private HttpServer upstream;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

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
  void gatewayStartedBeforeItsControlPlaneSaysWhyItIsNotReadyThenServesRoutes() throws Exception {
    int cpPort;
    try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      cpPort = free.getLocalPort();
    }
    Path log = Files.createTempFile(tmp, "gateway", ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), "dev.vertice.launcher.Main", "gateway", "--host", "127.0.0.1",
        "--port", "0", "--grpc-port", "-1", "--admin-port", "0", "--stats", "false",
        "--control-plane", "127.0.0.1:" + cpPort).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String started = Await.value("the gateway logs its addresses", Duration.ofSeconds(60),
        () -> lines(log).stream().filter(l -> READY.matcher(l).find()).findFirst().orElse(null));
    Matcher m = READY.matcher(started);
    assertTrue(m.find());
    String proxy = "http://127.0.0.1:" + m.group(1);
    String admin = m.group(2);

    // No control plane: not ready, and the probe and the log say why.
    HttpResponse<String> health = get(admin + "/healthz");
    assertEquals(503, health.statusCode(), health.body());
    assertTrue(health.body().contains("\"status\":\"not ready\"") && health.body().contains("not reachable")
        && health.body().contains("127.0.0.1:" + cpPort), health.body());
    Await.until("the log says why it is not ready", Duration.ofSeconds(10), () -> lines(log).stream()
        .anyMatch(l -> l.contains("WARNING") && l.contains("not ready") && l.contains("127.0.0.1:" + cpPort)));
    assertNotEquals(200, get(proxy + "/orders/x").statusCode(), "nothing is routed yet");

    // The control plane appears on the port the gateway was given.
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    upstream.createContext("/", x -> {
      x.getRequestBody().readAllBytes();
      x.sendResponseHeaders(200, -1);
      x.close();
    });
    upstream.start();
    controlPlane = ControlPlane.builder().build();
    controlPlane.store().register(Instance.newBuilder().setService("orders").setInstanceId("o1")
        .setAddress("127.0.0.1").setPort(upstream.getAddress().getPort()).setVersion("v1").setWeight(100)
        .setProtocol(Protocol.PROTOCOL_HTTP).setHealth(HealthStatus.HEALTH_STATUS_SERVING).build(),
        Duration.ofMinutes(10), Duration.ofMinutes(10));
    server = new ControlPlaneServer(controlPlane, "127.0.0.1", cpPort, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES);

    Await.until("orders is routed once the control plane answers", Duration.ofSeconds(30),
        () -> status(proxy + "/orders/x") == 200);
    Await.until("/healthz is 200", Duration.ofSeconds(10), () -> status(admin + "/healthz") == 200);
    Await.until("the log says it is ready", Duration.ofSeconds(10),
        () -> lines(log).stream().anyMatch(l -> l.contains("ready: the first routing snapshot is applied")));
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private int status(String url) {
    try {
      return get(url).statusCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (Exception e) {
      return -1;
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
