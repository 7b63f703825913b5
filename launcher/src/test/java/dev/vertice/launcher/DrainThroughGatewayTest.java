package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.gateway.Gateway;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.gateway.resilience.ResilienceConfig;
import dev.vertice.sidecar.TestControlPlane;
import dev.vertice.sidecar.Watcher;
import dev.vertice.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a sidecar while traffic flows through a real gateway: two app processes, each with a
 * sidecar process, behind the gateway; clients send requests without pause. The gateway's retries
 * are turned off so that any request sent to an instance that is gone would fail visibly.
 */
class DrainThroughGatewayTest {

  private static final Pattern INSTANCE = Pattern.compile("\"instance\":\"([^\"]+)\"");

  @TempDir
  Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private ExecutorService clients;

  @AfterEach
  void tearDown() throws Exception {
    stop.set(true);
    if (clients != null) {
      clients.shutdownNow();
      clients.awaitTermination(10, TimeUnit.SECONDS);
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  /** One request as a client saw it. */
  record Outcome(long startNanos, int status, String instance, String error) {}

  @Test
  void sigtermUnderLiveTrafficFailsNoRequestAndTheInstanceIsGoneAfter() throws Exception {
    TestControlPlane cp = closeLater(TestControlPlane.start(Duration.ofSeconds(5), 0));
    Gateway gateway = closeLater(Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
            .watchTrafficPolicies(false).resilience(ResilienceConfig.custom().retries(0, 0, 1).build()).build())
        .controlPlane(cp.address()).start());
    Children children = closeLater(new Children(dir));
    Children.App a = children.app(List.of("--service", "orders", "--port", "0", "--instance-id", "a"));
    Children.App b = children.app(List.of("--service", "orders", "--port", "0", "--instance-id", "b"));
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    List<String> common = List.of("--service-name", "orders", "--control-plane", cp.address(), "--probe-interval",
        "1s", "--keepalive-interval", "1s", "--ttl", "10s", "--drain-period", "3s");
    List<String> argsA = new ArrayList<>(common);
    argsA.addAll(List.of("--port", String.valueOf(a.port())));
    List<String> argsB = new ArrayList<>(common);
    argsB.addAll(List.of("--port", String.valueOf(b.port())));
    Children.SidecarProcess sidecarA = children.sidecar(argsA);
    children.sidecar(argsB);
    String idA = "127.0.0.1:" + a.port();
    String idB = "127.0.0.1:" + b.port();
    Await.until("both instances SERVING", Duration.ofSeconds(30),
        () -> watcher.health("orders", idA).orElse(null) == HealthStatus.HEALTH_STATUS_SERVING
            && watcher.health("orders", idB).orElse(null) == HealthStatus.HEALTH_STATUS_SERVING);

    // Live traffic through the gateway.
    URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/orders/work");
    ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    int threads = 4;
    clients = Executors.newFixedThreadPool(threads);
    for (int i = 0; i < threads; i++) {
      clients.execute(() -> {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
        while (!stop.get()) {
          long t = System.nanoTime();
          try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
            Matcher m = INSTANCE.matcher(r.body());
            outcomes.add(new Outcome(t, r.statusCode(), m.find() ? m.group(1) : "?", r.statusCode() == 200 ? null
                : r.body()));
          } catch (Exception e) {
            outcomes.add(new Outcome(t, -1, "?", e.toString()));
          }
        }
      });
    }
    Await.until("both instances take traffic", Duration.ofSeconds(20),
        () -> outcomes.stream().anyMatch(o -> o.instance().equals("a"))
            && outcomes.stream().anyMatch(o -> o.instance().equals("b")));

    long termAt = System.nanoTime();
    sidecarA.child().process().destroy(); // SIGTERM
    Await.until("a's removal is pushed", Duration.ofSeconds(30), () -> watcher.health("orders", idA).isEmpty()
        && watcher.states(idA).contains("REMOVED"));
    assertTrue(sidecarA.child().process().waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, sidecarA.child().process().exitValue());
    long drainingAt = watcher.firstAfter(idA, "HEALTH_STATUS_DRAINING", termAt);
    long removedAt = watcher.firstAfter(idA, "REMOVED", termAt);
    int before = outcomes.size();
    Await.until("traffic goes on after the removal", Duration.ofSeconds(20), () -> outcomes.size() > before + 200);
    stop.set(true);
    clients.shutdown();
    assertTrue(clients.awaitTermination(20, TimeUnit.SECONDS));

    List<Outcome> failed = outcomes.stream().filter(o -> o.status() != 200).toList();
    long afterDrain = outcomes.stream().filter(o -> o.startNanos() > drainingAt + TimeUnit.MILLISECONDS.toNanos(500))
        .count();
    long toAAfterDrain = outcomes.stream().filter(o -> o.startNanos() > drainingAt + TimeUnit.MILLISECONDS.toNanos(500)
        && o.instance().equals("a")).count();
    System.out.printf("measured: %d requests, %d failed; DRAINING %d ms after SIGTERM, removed %d ms after"
            + " DRAINING; %d requests started 500 ms after DRAINING, %d of them to the draining instance%n",
        outcomes.size(), failed.size(), TimeUnit.NANOSECONDS.toMillis(drainingAt - termAt),
        TimeUnit.NANOSECONDS.toMillis(removedAt - drainingAt), afterDrain, toAAfterDrain);
    assertEquals(List.of(), failed, "no request failed during the drain");
    assertEquals(0, toAAfterDrain, "once DRAINING is pushed, the gateway sends nothing new to the instance");
    assertTrue(cp.instance("orders", idA).isEmpty(), "the drained instance is gone");
    assertEquals(List.of("HEALTH_STATUS_SERVING", "HEALTH_STATUS_DRAINING", "REMOVED"), watcher.states(idA));
  }
}
