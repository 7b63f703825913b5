package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.sidecar.TestControlPlane;
import dev.vertice.sidecar.Watcher;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./vertice sidecar --exec}: a real sidecar process supervising a real app process (a demo
 * JVM, or a shell that exits at once), against a real control plane in this JVM, watched by a
 * real watcher. The app crashes (kill -9), hangs (SIGSTOP) for good or briefly (then recovers by
 * itself, without a restart), crash-loops, and the sidecar is told to stop (SIGTERM).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SidecarSupervisionProcessTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final List<ProcessHandle> apps = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Children children;
  private TestControlPlane cp;

  @BeforeEach
  void setUp() {
    cp = closeLater(TestControlPlane.start(Duration.ofSeconds(5), 0));
    children = closeLater(new Children(dir));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (ProcessHandle app : apps) {
      app.destroyForcibly(); // SIGKILL ends a stopped (SIGSTOP) process too
    }
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  /** Sidecar flags (probes every 200 ms, failure threshold 2), {@code more}, then --exec and the app's command. */
  private List<String> args(int appPort, List<String> app, String... more) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("--service-name", "orders");
    settings.put("--port", String.valueOf(appPort));
    settings.put("--control-plane", cp.address());
    settings.put("--probe-interval", "200ms");
    settings.put("--probe-timeout", "200ms");
    settings.put("--failure-threshold", "2");
    settings.put("--ttl", "10s");
    settings.put("--keepalive-interval", "1s");
    settings.put("--drain-period", "1s");
    settings.put("--app-start-timeout", "30s");
    settings.put("--restart-backoff-initial", "200ms");
    settings.put("--restart-backoff-max", "1s");
    settings.put("--app-stop-grace", "1s");
    for (int i = 0; i + 1 < more.length; i += 2) {
      settings.put(more[i], more[i + 1]);
    }
    List<String> args = new ArrayList<>();
    settings.forEach((k, v) -> {
      args.add(k);
      args.add(v);
    });
    args.add("--exec");
    args.addAll(app);
    return args;
  }

  /** The command line of a demo app JVM serving orders on {@code port}. */
  private static List<String> demoApp(int port) {
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        DemoCommand.class.getName(), "--service", "orders", "--port", String.valueOf(port));
  }

  /** The sidecar's supervised app process, once it runs (and is not {@code not}). */
  private ProcessHandle appOf(Children.SidecarProcess sidecar, long not) {
    ProcessHandle app = Await.value("the sidecar's app process", WAIT, () -> sidecar.child().process().children()
        .filter(p -> p.pid() != not && p.isAlive()).findFirst().orElse(null));
    apps.add(app);
    return app;
  }

  private HealthStatus health(Watcher watcher, String id) {
    return watcher.health("orders", id).orElse(null);
  }

  @Test
  void crashedAppIsRestartedAndItsInstanceGoesNotServingThenServing() throws Exception {
    int port = RedisServer.freePort();
    String id = "127.0.0.1:" + port;
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Children.SidecarProcess sidecar = children.sidecar(args(port, demoApp(port)));
    ProcessHandle first = appOf(sidecar, -1);
    Await.until("the instance is SERVING", WAIT, () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_SERVING);

    long killedAt = System.nanoTime();
    first.destroyForcibly(); // kill -9: the app exits
    Await.until("NOT_SERVING is pushed", WAIT, () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_NOT_SERVING);
    report("app killed -> NOT_SERVING pushed", watcher.firstAfter(id, "HEALTH_STATUS_NOT_SERVING", killedAt) - killedAt);
    ProcessHandle second = appOf(sidecar, first.pid());
    assertNotEquals(first.pid(), second.pid());
    Await.until("SERVING again once the restarted app answers", WAIT,
        () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_SERVING);
    report("app killed -> restarted and SERVING", watcher.firstAfter(id, "HEALTH_STATUS_SERVING", killedAt) - killedAt);
    assertEquals(List.of("HEALTH_STATUS_SERVING", "HEALTH_STATUS_NOT_SERVING", "HEALTH_STATUS_SERVING"),
        sinceFirstServing(watcher.states(id)), () -> "never removed; sidecar log:\n"
            + String.join("\n", sidecar.child().lines()));

    String admin = "http://127.0.0.1:" + sidecar.adminPort();
    String metrics = get(admin + "/metrics");
    assertTrue(metrics.contains("vertice_sidecar_app_restarts_total{reason=\"exited\"} 1.0"), metrics);
    assertTrue(metrics.contains("vertice_sidecar_app_up 1.0"), metrics);
    assertTrue(metrics.contains("vertice_sidecar_app_crash_loop 0.0"), metrics);
    assertEquals(200, status(admin + "/healthz"));
    String status = get("http://127.0.0.1:" + sidecar.apiPort() + "/v1/status");
    assertTrue(status.contains("\"app\":{\"state\":\"RUNNING\",\"pid\":" + second.pid() + ",\"restarts\":1,"
        + "\"last_exit_code\":137}"), status);
  }

  @Test
  void hungAppIsKilledAndRestarted() throws Exception {
    int port = RedisServer.freePort();
    String id = "127.0.0.1:" + port;
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Children.SidecarProcess sidecar = children.sidecar(args(port, demoApp(port), "--restart-after-unhealthy", "2s"));
    ProcessHandle first = appOf(sidecar, -1);
    Await.until("the instance is SERVING", WAIT, () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_SERVING);

    long stoppedAt = System.nanoTime();
    signal("STOP", first.pid()); // hangs: the process lives, its probe times out
    Await.until("NOT_SERVING is pushed", WAIT, () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_NOT_SERVING);
    assertTrue(first.isAlive(), "NOT_SERVING comes from the probe, before the restart");
    // SIGTERM stays pending in a stopped process: SIGKILL after the stop grace ends it.
    assertTrue(first.onExit().get(WAIT.toSeconds(), TimeUnit.SECONDS) != null);
    report("app hung -> killed", System.nanoTime() - stoppedAt);
    ProcessHandle second = appOf(sidecar, first.pid());
    Await.until("SERVING again once the restarted app answers", WAIT,
        () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_SERVING);
    report("app hung -> restarted and SERVING", watcher.firstAfter(id, "HEALTH_STATUS_SERVING", stoppedAt) - stoppedAt);
    assertTrue(second.isAlive());
    assertEquals(List.of("HEALTH_STATUS_SERVING", "HEALTH_STATUS_NOT_SERVING", "HEALTH_STATUS_SERVING"),
        sinceFirstServing(watcher.states(id)));
    String metrics = get("http://127.0.0.1:" + sidecar.adminPort() + "/metrics");
    assertTrue(metrics.contains("vertice_sidecar_app_restarts_total{reason=\"unhealthy\"} 1.0"), metrics);
    assertTrue(String.join("\n", sidecar.child().lines()).contains("restart-after-unhealthy PT2S"));
  }

  @Test
  void appThatHangsShorterThanTheSettingRecoversWithoutARestart() throws Exception {
    int port = RedisServer.freePort();
    String id = "127.0.0.1:" + port;
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Children.SidecarProcess sidecar = children.sidecar(args(port, demoApp(port), "--restart-after-unhealthy", "60s"));
    ProcessHandle app = appOf(sidecar, -1);
    Await.until("the instance is SERVING", WAIT, () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_SERVING);

    long stoppedAt = System.nanoTime();
    signal("STOP", app.pid()); // hangs: its probe times out
    Await.until("NOT_SERVING is pushed", WAIT, () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_NOT_SERVING);
    signal("CONT", app.pid()); // recovers by itself, well within restart-after-unhealthy
    Await.until("SERVING again after the first good probe", WAIT,
        () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_SERVING);
    report("app hung then recovered -> SERVING", watcher.firstAfter(id, "HEALTH_STATUS_SERVING", stoppedAt) - stoppedAt);
    assertTrue(app.isAlive(), "the same process serves: not restarted");
    assertEquals(List.of(app.pid()), sidecar.child().process().children().map(ProcessHandle::pid).toList());
    assertEquals(List.of("HEALTH_STATUS_SERVING", "HEALTH_STATUS_NOT_SERVING", "HEALTH_STATUS_SERVING"),
        sinceFirstServing(watcher.states(id)));
    String metrics = get("http://127.0.0.1:" + sidecar.adminPort() + "/metrics");
    assertTrue(metrics.contains("vertice_sidecar_app_restarts_total{reason=\"unhealthy\"} 0.0"), metrics);
    assertTrue(metrics.contains("vertice_sidecar_app_restarts_total{reason=\"exited\"} 0.0"), metrics);
    assertTrue(metrics.contains("vertice_sidecar_app_up 1.0"), metrics);
  }

  @Test
  void crashLoopLeavesTheAppDownAndMetricsAndHealthzSaySo() throws Exception {
    int port = RedisServer.freePort(); // nothing listens: the app exits at once
    String id = "127.0.0.1:" + port;
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Children.SidecarProcess sidecar = children.sidecar(args(port, List.of("sh", "-c", "exit 3"),
        "--crash-loop-restarts", "2", "--crash-loop-window", "5m"));
    String admin = "http://127.0.0.1:" + sidecar.adminPort();
    Await.until("the crash loop is reported", WAIT, () -> get(admin + "/metrics")
        .contains("vertice_sidecar_app_crash_loop 1.0"));
    String metrics = get(admin + "/metrics");
    assertTrue(metrics.contains("vertice_sidecar_app_up 0.0"), metrics);
    assertTrue(metrics.contains("vertice_sidecar_app_restarts_total{reason=\"exited\"} 2.0"), metrics);
    HttpResponse<String> healthz = http.send(HttpRequest.newBuilder(URI.create(admin + "/healthz"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(503, healthz.statusCode());
    assertEquals("{\"status\":\"crash_loop\",\"app\":\"crash_loop\",\"restarts\":2}", healthz.body());
    Await.until("the instance is registered NOT_SERVING", WAIT,
        () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_NOT_SERVING);
    assertTrue(String.join("\n", sidecar.child().lines()).contains("CRASH LOOP"));
    assertTrue(sidecar.child().process().isAlive(), "the sidecar stays up and reports");
    assertEquals(0, sidecar.child().process().children().count(), "the app stays down");
  }

  @Test
  void sigtermDrainsFirstThenStopsTheAppAndExits0() throws Exception {
    int port = RedisServer.freePort();
    String id = "127.0.0.1:" + port;
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Children.SidecarProcess sidecar = children.sidecar(args(port, demoApp(port), "--drain-period", "2s"));
    ProcessHandle app = appOf(sidecar, -1);
    Await.until("the instance is SERVING", WAIT, () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_SERVING);

    java.util.concurrent.CompletableFuture<Long> appEndedAt = app.onExit().thenApply(p -> System.nanoTime());
    long termAt = System.nanoTime();
    sidecar.child().process().destroy(); // SIGTERM to the sidecar only
    Await.until("DRAINING is pushed", WAIT, () -> health(watcher, id) == HealthStatus.HEALTH_STATUS_DRAINING);
    assertTrue(app.isAlive(), "the app serves while the instance drains");
    assertTrue(sidecar.child().process().waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, sidecar.child().process().exitValue(), String.join("\n", sidecar.child().lines()));
    assertTrue(app.onExit().get(10, TimeUnit.SECONDS) != null);
    assertFalse(app.isAlive(), "the app was stopped");
    Await.until("the removal is pushed", WAIT, () -> watcher.health("orders", id).isEmpty());
    assertEquals(List.of("HEALTH_STATUS_SERVING", "HEALTH_STATUS_DRAINING", "REMOVED"),
        sinceFirstServing(watcher.states(id)));
    long drainingAt = watcher.firstAfter(id, "HEALTH_STATUS_DRAINING", termAt);
    long appRan = appEndedAt.get(10, TimeUnit.SECONDS) - drainingAt;
    report("DRAINING -> app stopped", appRan);
    assertTrue(appRan >= TimeUnit.MILLISECONDS.toNanos(1900), "the app ran through the 2 s drain: " + appRan / 1_000_000);
    assertTrue(String.join("\n", sidecar.child().lines()).contains("deregistered, app stopped; exiting"));
  }

  @Test
  void programThatCannotStartExitsWith2NamingExec() throws Exception {
    Children.Child c = children.start("bad", "dev.vertice.launcher.SidecarCommand", List.of("--service-name",
        "orders", "--port", "8080", "--api-port", "0", "--admin-port", "-1", "--control-plane", cp.address(),
        "--exec", dir.resolve("no-such-program").toString(), "--flag-of-the-app"));
    assertTrue(c.process().waitFor(60, TimeUnit.SECONDS));
    String out = String.join("\n", c.lines());
    assertEquals(2, c.process().exitValue(), out);
    assertTrue(out.contains("invalid --exec: cannot start"), out);
    assertFalse(out.contains("Exception"), out);
  }

  /**
   * The states from the first SERVING on: the sidecar's first probes run while the app it just
   * started boots, so the instance is registered NOT_SERVING first.
   */
  private static List<String> sinceFirstServing(List<String> states) {
    assertEquals("HEALTH_STATUS_NOT_SERVING", states.get(0), "registered NOT_SERVING while the app starts");
    return states.subList(states.indexOf("HEALTH_STATUS_SERVING"), states.size());
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).inheritIO().start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, kill.exitValue());
  }

  private static void report(String what, long nanos) {
    System.out.printf("measured: %s in %d ms%n", what, TimeUnit.NANOSECONDS.toMillis(nanos));
  }

  private String get(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      return "";
    }
  }

  private int status(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }
}
