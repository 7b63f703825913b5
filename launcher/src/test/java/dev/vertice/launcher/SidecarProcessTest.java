package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.sidecar.TestControlPlane;
import dev.vertice.sidecar.Watcher;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sidecars and apps as real processes (child JVMs), against a real control plane in this JVM:
 * what happens when processes fail, restart, or are told to stop.
 *
 * <p>Probes run every 200 ms with a failure threshold of 2, so a failed app must be NOT_SERVING in
 * every watcher within 2 × 200 ms plus one push; the waits below allow far more (the machine is
 * shared), and the measured times are printed.
 */
class SidecarProcessTest {

  private static final Duration INTERVAL = Duration.ofMillis(200);
  private static final int THRESHOLD = 2;
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private Children children;
  private TestControlPlane cp;

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  private void setUp(Duration grace) {
    cp = closeLater(TestControlPlane.start(grace, 0));
    children = closeLater(new Children(dir));
  }

  private List<String> sidecarArgs(String service, int appPort, String... more) {
    java.util.Map<String, String> settings = new java.util.LinkedHashMap<>();
    settings.put("--service-name", service);
    settings.put("--port", String.valueOf(appPort));
    settings.put("--control-plane", cp.address());
    settings.put("--probe-interval", INTERVAL.toMillis() + "ms");
    settings.put("--probe-timeout", INTERVAL.toMillis() + "ms");
    settings.put("--failure-threshold", String.valueOf(THRESHOLD));
    settings.put("--ttl", "10s");
    settings.put("--keepalive-interval", "1s");
    for (int i = 0; i + 1 < more.length; i += 2) {
      settings.put(more[i], more[i + 1]);
    }
    List<String> args = new ArrayList<>();
    settings.forEach((k, v) -> {
      args.add(k);
      args.add(v);
    });
    return args;
  }

  @Test
  void appHealthFailureAndAppKillArePushedAsNotServingAndRecoveriesAsServing() throws Exception {
    setUp(Duration.ofSeconds(5));
    Children.App app = children.app(List.of("--service", "orders", "--port", "0"));
    String id = "127.0.0.1:" + app.port();
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Children.SidecarProcess sidecar = children.sidecar(sidecarArgs("orders", app.port(), "--upstreams", "orders"));
    Await.until("the instance is SERVING in the watcher", WAIT,
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_SERVING);
    String admin = "http://127.0.0.1:" + sidecar.adminPort();
    Await.until("the admin port reports registered", WAIT, () -> status(admin + "/healthz") == 200
        && get(admin + "/metrics").contains("vertice_sidecar_registered 1.0"));
    String scrape = get(admin + "/metrics");
    for (String name : List.of("vertice_sidecar_probes_total{result=\"success\"}", "vertice_sidecar_probe_seconds_bucket",
        "vertice_sidecar_health_transitions_total{to=\"serving\"} 1.0", "jvm_memory_used_bytes")) {
      assertTrue(scrape.contains(name), "the sidecar's /metrics lacks " + name + ":\n" + scrape);
    }

    // The app says it is unhealthy.
    long failedAt = System.nanoTime();
    post("http://127.0.0.1:" + app.port() + "/admin/health", "{\"serving\":false}");
    Await.until("NOT_SERVING is pushed", WAIT,
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_NOT_SERVING);
    report("health failed -> NOT_SERVING pushed", watcher.firstAfter(id, "HEALTH_STATUS_NOT_SERVING", failedAt)
        - failedAt);
    Await.until("the sidecar's local API follows the push", WAIT,
        () -> get("http://127.0.0.1:" + sidecar.apiPort() + "/v1/endpoints/orders").contains("\"NOT_SERVING\""));

    long recoveredAt = System.nanoTime();
    post("http://127.0.0.1:" + app.port() + "/admin/health", "{\"serving\":true}");
    Await.until("SERVING is pushed again", WAIT,
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_SERVING);
    report("health recovered -> SERVING pushed", watcher.firstAfter(id, "HEALTH_STATUS_SERVING", recoveredAt)
        - recoveredAt);

    // kill -9 of the app: the probe's connection is refused.
    long killedAt = System.nanoTime();
    app.child().process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    Await.until("NOT_SERVING is pushed after kill -9 of the app", WAIT,
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_NOT_SERVING);
    report("app killed -> NOT_SERVING pushed", watcher.firstAfter(id, "HEALTH_STATUS_NOT_SERVING", killedAt)
        - killedAt);

    children.app(List.of("--service", "orders", "--port", String.valueOf(app.port())));
    Await.until("SERVING is pushed once the app is back", WAIT,
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_SERVING);
    assertEquals(List.of("HEALTH_STATUS_SERVING", "HEALTH_STATUS_NOT_SERVING", "HEALTH_STATUS_SERVING",
        "HEALTH_STATUS_NOT_SERVING", "HEALTH_STATUS_SERVING"), watcher.states(id), () -> "never removed, no extra"
        + " flaps; sidecar log:\n" + String.join("\n", sidecar.child().lines()));
  }

  @Test
  void sidecarRestartWithinTheGraceDoesNotFlapAndKillWithoutRestartRemovesAfterTheGrace() throws Exception {
    // A JVM restart takes seconds on a loaded machine; the TTL (30 s) outlives the grace, so the grace decides.
    Duration grace = Duration.ofSeconds(12);
    setUp(grace);
    Children.App app = children.app(List.of("--service", "orders", "--port", "0"));
    String id = "127.0.0.1:" + app.port();
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Children.SidecarProcess first = children.sidecar(sidecarArgs("orders", app.port(), "--ttl", "30s"));
    Await.until("the instance is SERVING", WAIT,
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_SERVING);

    // kill -9 the sidecar and start it again at once: the new one registers the same instance.
    long killedAt = System.nanoTime();
    first.child().process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    Children.SidecarProcess second = children.sidecar(sidecarArgs("orders", app.port(), "--ttl", "30s"));
    second.child().await(Pattern.compile("(registered orders/)"), WAIT);
    long restartNanos = System.nanoTime() - killedAt;
    report("sidecar restarted and registered again", restartNanos);
    assertTrue(restartNanos < grace.toNanos(), "the restart must fit in the grace for this test to mean anything");
    Await.until("the grace period of the old stream has passed", Duration.ofSeconds(30),
        () -> System.nanoTime() - killedAt > grace.plusSeconds(1).toNanos());
    assertEquals(List.of("HEALTH_STATUS_SERVING"), watcher.states(id), "no removal, no health change: no flap");
    assertTrue(cp.instance("orders", id).isPresent());

    // kill -9 without a restart: the grace period runs out and the instance is removed.
    long killedAgainAt = System.nanoTime();
    second.child().process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    Await.until("the instance is removed", Duration.ofSeconds(30), () -> watcher.health("orders", id).isEmpty());
    long removedAfter = watcher.firstAfter(id, "REMOVED", killedAgainAt) - killedAgainAt;
    report("sidecar killed -> instance removed", removedAfter);
    assertTrue(removedAfter >= grace.toNanos() - TimeUnit.MILLISECONDS.toNanos(100),
        "not before the grace period: " + removedAfter / 1_000_000 + " ms");
  }

  @Test
  void everyInstanceIsBackWithinOneBackoffPeriodAfterAControlPlaneRestart() throws Exception {
    // Restarted on its port below: a port no outgoing connection can take in between.
    cp = closeLater(TestControlPlane.startOnReusablePort(Duration.ofSeconds(5)));
    children = closeLater(new Children(dir));
    List<String> services = List.of("nmap-service", "osint-service", "immunis-api");
    List<String> ids = new ArrayList<>();
    List<Integer> ports = children.apps(new Children.Child[1], services); // one app process, three services
    for (int i = 0; i < services.size(); i++) {
      ids.add("127.0.0.1:" + ports.get(i));
      children.sidecar(sidecarArgs(services.get(i), ports.get(i), "--backoff-max", "2s"));
    }
    for (int i = 0; i < services.size(); i++) {
      String s = services.get(i);
      String id = ids.get(i);
      Await.until(s + " is registered", WAIT, () -> cp.instance(s, id).isPresent());
    }
    int port = cp.port();
    cp.stop(); // state lost
    cp = closeLater(TestControlPlane.start(Duration.ofSeconds(5), port));
    long restartedAt = System.nanoTime();
    for (int i = 0; i < services.size(); i++) {
      String s = services.get(i);
      String id = ids.get(i);
      // One backoff period (2 s) plus room for a loaded machine.
      Await.until(s + " is back", Duration.ofSeconds(2 + 8), () -> cp.instance(s, id)
          .map(in -> in.getHealth() == HealthStatus.HEALTH_STATUS_SERVING).orElse(false));
    }
    report("control plane restarted -> all " + services.size() + " instances back", System.nanoTime() - restartedAt);
  }

  @Test
  void sigtermDrainsThenDeregistersAndExits0() throws Exception {
    setUp(Duration.ofSeconds(5));
    Children.App app = children.app(List.of("--service", "orders", "--port", "0"));
    String id = "127.0.0.1:" + app.port();
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Children.SidecarProcess sidecar = children.sidecar(sidecarArgs("orders", app.port(), "--drain-period", "2s"));
    Await.until("the instance is SERVING", WAIT,
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_SERVING);

    long termAt = System.nanoTime();
    sidecar.child().process().destroy(); // SIGTERM
    Await.until("DRAINING is pushed", WAIT,
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_DRAINING);
    assertTrue(sidecar.child().process().waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, sidecar.child().process().exitValue(), String.join("\n", sidecar.child().lines()));
    Await.until("the removal is pushed", WAIT, () -> watcher.health("orders", id).isEmpty());
    assertEquals(List.of("HEALTH_STATUS_SERVING", "HEALTH_STATUS_DRAINING", "REMOVED"), watcher.states(id));
    long drained = watcher.firstAfter(id, "REMOVED", termAt) - watcher.firstAfter(id, "HEALTH_STATUS_DRAINING", termAt);
    report("SIGTERM: DRAINING -> removed", drained);
    assertTrue(drained >= TimeUnit.MILLISECONDS.toNanos(1900), "the drain period was waited: " + drained / 1_000_000);
    assertTrue(cp.instance("orders", id).isEmpty());
  }

  @Test
  void badConfigurationExitsWith2NamingTheSetting() throws Exception {
    children = closeLater(new Children(dir));
    Children.Child c = children.start("bad", "dev.vertice.launcher.SidecarCommand",
        List.of("--service-name", "orders", "--port", "8080", "--probe-interval", "0s"));
    assertTrue(c.process().waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, c.process().exitValue());
    String out = String.join("\n", c.lines());
    assertTrue(out.contains("--probe-interval (VERTICE_PROBE_INTERVAL)"), out);
    assertFalse(out.contains("Exception"), out);
  }

  private static void report(String what, long nanos) {
    System.out.printf("measured: %s in %d ms%n", what, TimeUnit.NANOSECONDS.toMillis(nanos));
  }

  private void post(String url, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(TestDeadlines.HTTP)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  private String get(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url))
          .timeout(TestDeadlines.HTTP).build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      return "";
    }
  }

  private int status(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url))
          .timeout(TestDeadlines.HTTP).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }
}
