package dev.vertice.chaos.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vertice.testkit.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link MetricsRecorder} scraping real HTTP endpoints (a minimal server on a socket whose
 * exposition text the test changes while it records, and a port where nothing listens), then
 * {@link AlertCheck} running the repository's monitoring/ rules through promtool on what was
 * recorded.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AlertCheckTest {

  private static final Path RULES = Path.of(System.getProperty("basedir", "."))
      .resolve("../monitoring/prometheus/alerts/vertice.yml").normalize();

  private final List<ServerSocket> servers = new java.util.ArrayList<>();

  @AfterEach
  void tearDown() throws IOException {
    for (ServerSocket s : servers) {
      s.close();
    }
  }

  /** Serves the current text of {@code body} at every path, one request per connection. */
  private int metricsServer(AtomicReference<String> body) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    servers.add(server);
    Thread t = new Thread(() -> {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          s.setSoTimeout(2_000);
          byte[] buf = new byte[4096];
          int n = s.getInputStream().read(buf); // the request fits in one read on loopback
          if (n <= 0) {
            continue;
          }
          byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
          OutputStream out = s.getOutputStream();
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " + b.length
              + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(b);
          out.flush();
        } catch (IOException e) {
          // next connection
        }
      }
    }, "metrics-server");
    t.setDaemon(true);
    t.start();
    return server.getLocalPort();
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  @Test
  void parsesTheTextFormat() {
    List<MetricsRecorder.Sample> s = MetricsRecorder.parse(String.join("\n", "# HELP x a help", "# TYPE x counter",
        "x_total{a=\"1\",b=\"with \\\"quote\\\" and } brace\"} 3.0", "y 4 1700000000000", "z{le=\"+Inf\",} +Inf",
        "bad line", ""));
    assertEquals(3, s.size());
    assertEquals("x_total", s.get(0).name());
    assertEquals("with \"quote\" and } brace", s.get(0).labels().get(1)[1]);
    assertEquals(4.0, s.get(1).value());
    assertEquals(Double.POSITIVE_INFINITY, s.get(2).value());
  }

  @Test
  void reportsFiringAlertsAndConditionsShorterThanTheirFor() throws Exception {
    assumeTrue(AlertCheck.findPromtool().isPresent(), "promtool is not installed");
    assertTrue(Files.isRegularFile(RULES), RULES.toString());
    AtomicReference<String> cp = new AtomicReference<>(String.join("\n",
        "vertice_store_circuit_breaker_state{state=\"open\"} 0.0", "vertice_store_circuit_breaker_state{state=\"closed\"} 1.0"));
    String transitions = "vertice_gateway_circuit_breaker_transitions_total{service=\"orders\",from=\"half_open\",to=\"closed\"} ";
    AtomicReference<String> gw = new AtomicReference<>(transitions + "0.0\n");
    List<MetricsRecorder.Target> targets = List.of(
        new MetricsRecorder.Target("vertice-control-plane", "cp-1", URI.create("http://127.0.0.1:" + metricsServer(cp) + "/metrics")),
        new MetricsRecorder.Target("vertice-gateway", "gw-1", URI.create("http://127.0.0.1:" + metricsServer(gw) + "/metrics")),
        new MetricsRecorder.Target("vertice-gateway", "gw-2", URI.create("http://127.0.0.1:" + closedPort() + "/metrics")));
    MetricsRecorder.Recording rec;
    try (MetricsRecorder r = MetricsRecorder.start(targets, Duration.ofMillis(200))) {
      Await.until("3 rounds", Duration.ofSeconds(20), () -> r.recording().rounds() >= 3);
      // The store breaker opens on cp-1; gw-1's breaker for orders closes again.
      cp.set("vertice_store_circuit_breaker_state{state=\"open\"} 1.0\nvertice_store_circuit_breaker_state{state=\"closed\"} 0.0\n");
      gw.set(transitions + "1.0\n");
      int now = r.recording().rounds();
      Await.until("5 more rounds", Duration.ofSeconds(20), () -> r.recording().rounds() >= now + 5);
      rec = r.recording();
    }
    int last = rec.rounds() - 1;
    assertEquals(1.0, rec.value("up{job=\"vertice-control-plane\",instance=\"cp-1\"}", last).orElseThrow());
    assertEquals(0.0, rec.value("up{job=\"vertice-gateway\",instance=\"gw-2\"}", last).orElseThrow());

    AlertCheck.Result result = AlertCheck.evaluate(RULES, rec);
    System.out.println("alerts: " + result.summary());
    assertTrue(result.evaluated(), result.note());
    // No for: fires as soon as the counter moved.
    assertEquals(List.of("ServiceCircuitBreakerRecovered"), result.firingNames(), result.summary());
    assertEquals(Map.of("alertname", "ServiceCircuitBreakerRecovered", "service", "orders", "severity", "info"),
        result.firing().get(0).labels());
    assertTrue(result.firing().get(0).at().toMillis() > 0, "not in the first round: " + result.firing().get(0));
    // 1m and more of for: the condition held, the alert would not have fired yet.
    List<String> held = result.conditionOnly().stream().map(AlertCheck.Fired::alert).distinct().toList();
    assertTrue(held.containsAll(List.of("RegistryCircuitBreakerOpen", "RegistryCircuitBreakerStuckOpen", "GatewayDown")),
        held.toString());
    assertFalse(held.contains("SidecarAppCrashLooping"), "no sidecar was scraped");
    assertTrue(result.summary().contains("condition held shorter than its for: "), result.summary());
  }

  @Test
  void saysWhyWhenItCannotEvaluate() throws IOException {
    MetricsRecorder.Recording empty = new MetricsRecorder.Recording(Duration.ofSeconds(1), 0, Map.of());
    AlertCheck.Result r = AlertCheck.evaluate(Path.of("no-such-rules.yml"), empty);
    assertFalse(r.evaluated());
    assertTrue(r.summary().startsWith("not evaluated: "), r.summary());
  }

  @Test
  void readsPromtoolsFailureReport() {
    String out = String.join("\n", "  FAILED:", "    alertname: A, time: 1m4s, ", "        exp:[], ", "        got:[",
        "            0:", "              Labels:{alertname=\"A\", instance=\"a:1\", job=\"x\"}", "            ]",
        "    alertname: A, time: 500ms, ", "        got:[", "              Labels:{alertname=\"A\", instance=\"a:1\", job=\"x\"}");
    Map<String, AlertCheck.Fired> fired = AlertCheck.parseFailures(out);
    assertEquals(1, fired.size());
    AlertCheck.Fired f = fired.values().iterator().next();
    assertEquals(Duration.ofMillis(500), f.at());
    assertEquals("A{instance=a:1,job=x} at +0.5 s", f.toString());
  }
}
