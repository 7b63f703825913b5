package dev.vertice.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.InstanceSpec;
import dev.vertice.client.RegistryClient;
import dev.vertice.demo.DemoConfig;
import dev.vertice.demo.EchoGrpcServer;
import dev.vertice.demo.EchoHttpServer;
import dev.vertice.testkit.ReusablePorts;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.FakeClock;
import dev.vertice.testkit.RawHttp;
import dev.vertice.testkit.TestDeadlines;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sidecar on a fake clock (probe periods, retries and the drain move only when the test says),
 * against a real control plane and a real demo app on loopback. Blocking work runs on the test
 * thread (a direct worker).
 */
class SidecarTest {

  private static final Duration INTERVAL = Duration.ofSeconds(5);

  private final FakeClock clock = new FakeClock();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
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

  private TestControlPlane controlPlane() {
    cp = closeLater(TestControlPlane.start(Duration.ofSeconds(5), 0));
    return cp;
  }

  private SidecarConfig.Builder config(String service, int port) {
    return SidecarConfig.custom(service, port).controlPlane(cp.address()).apiPort(0);
  }

  private Sidecar start(SidecarConfig config) {
    Sidecar s = closeLater(Sidecar.builder(config).ticker(clock).scheduler(clock.scheduler()).worker(Runnable::run)
        .build());
    s.start();
    return s;
  }

  @Test
  void registersServingAfterAHealthyFirstProbeAndPushesEachTransitionAtOnce() {
    controlPlane();
    EchoHttpServer app = closeLater(startHttp("orders"));
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Sidecar sidecar = start(config("orders", app.port()).version("v2").metadata(Map.of("team", "red")).build());

    String id = "127.0.0.1:" + app.port();
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, cp.instance("orders", id).orElseThrow().getHealth());
    assertEquals("v2", cp.instance("orders", id).orElseThrow().getVersion());
    assertEquals("red", cp.instance("orders", id).orElseThrow().getMetadataOrThrow("team"));
    Await.until("the watcher sees SERVING", () -> watcher.health("orders", id).isPresent());

    app.setServing(false);
    clock.forwardTime(INTERVAL.multipliedBy(2));
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, sidecar.health(), "two failures: below the threshold of 3");
    clock.forwardTime(INTERVAL);
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING, sidecar.acknowledged(), "SetHealth sent at the transition");
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING, cp.instance("orders", id).orElseThrow().getHealth());
    Await.until("the watcher sees NOT_SERVING",
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_NOT_SERVING);

    app.setServing(true);
    clock.forwardTime(INTERVAL);
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, sidecar.acknowledged(), "success threshold 1");
    Await.until("the watcher sees SERVING again",
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_SERVING);
    assertEquals(List.of("HEALTH_STATUS_SERVING", "HEALTH_STATUS_NOT_SERVING", "HEALTH_STATUS_SERVING"),
        watcher.states(id));
  }

  @Test
  void anAppThatIsDownAtStartIsRegisteredNotServingThenServing() {
    controlPlane();
    EchoHttpServer app = closeLater(startHttp("orders"));
    app.setServing(false);
    Sidecar sidecar = start(config("orders", app.port()).build());
    String id = "127.0.0.1:" + app.port();
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING, cp.instance("orders", id).orElseThrow().getHealth());
    app.setServing(true);
    clock.forwardTime(INTERVAL);
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, cp.instance("orders", id).orElseThrow().getHealth());
    assertEquals(4, sidecar.probesRun(), "three failures in a row at start, then one success");
  }

  @Test
  void grpcAppIsProbedWithGrpcHealth() throws Exception {
    controlPlane();
    EchoGrpcServer app = closeLater(EchoGrpcServer.start(DemoConfig.custom().service("ledger").build()));
    Sidecar sidecar = start(config("ledger", app.port()).protocol(Protocol.PROTOCOL_GRPC).failureThreshold(1).build());
    String id = "127.0.0.1:" + app.port();
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, cp.instance("ledger", id).orElseThrow().getHealth());
    assertEquals(Protocol.PROTOCOL_GRPC, cp.instance("ledger", id).orElseThrow().getProtocol());
    app.setServing(false);
    clock.forwardTime(INTERVAL);
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING, cp.instance("ledger", id).orElseThrow().getHealth());
    app.close();
    app = null;
    clock.forwardTime(INTERVAL);
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING, sidecar.health(), "a dead app stays NOT_SERVING");
  }

  @Test
  void registrationIsRetriedWithBackoffUntilTheControlPlaneComesUp() throws Exception {
    int port;
    // Free now; the control plane takes it later. Below the ephemeral range, so nothing else can.
    try (ServerSocket s = ReusablePorts.bindBelowEphemeralRange(p -> new ServerSocket(p, 50,
        java.net.InetAddress.getLoopbackAddress()))) {
      port = s.getLocalPort();
    }
    EchoHttpServer app = closeLater(startHttp("orders"));
    Sidecar sidecar = start(SidecarConfig.custom("orders", app.port()).controlPlane("127.0.0.1:" + port).apiPort(0)
        .build());
    assertTrue(sidecar.registration().isEmpty());
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, sidecar.health(), "probing goes on without a control plane");
    clock.forwardTime(Duration.ofSeconds(3)); // a few failed retries, backing off
    assertTrue(sidecar.registration().isEmpty());

    cp = closeLater(TestControlPlane.start(Duration.ofSeconds(5), port));
    long startedAt = clock.nanoTime();
    Duration maxDelay = SidecarConfig.custom("x", 1).build().backoff().maxDelay();
    Await.until("registered", Duration.ofSeconds(20), () -> {
      if (clock.nanoTime() - startedAt < maxDelay.toNanos()) {
        clock.forwardTime(Duration.ofMillis(50));
      }
      return sidecar.registration().isPresent();
    });
    assertTrue(clock.nanoTime() - startedAt <= maxDelay.toNanos(),
        "registered within one backoff period of the control plane's start");
    assertEquals(List.of("127.0.0.1:" + app.port()), cp.instanceIds("orders"));
  }

  @Test
  void drainSetsDrainingWaitsTheDrainPeriodThenDeregisters() {
    controlPlane();
    EchoHttpServer app = closeLater(startHttp("orders"));
    Watcher watcher = closeLater(new Watcher(cp.address(), "orders"));
    Sidecar sidecar = start(config("orders", app.port()).drainPeriod(Duration.ofSeconds(10)).build());
    String id = "127.0.0.1:" + app.port();
    Await.until("the watcher holds the instance", () -> watcher.health("orders", id).isPresent());

    CompletableFuture<Void> stopped = sidecar.drain();
    assertEquals(Sidecar.Phase.DRAINING, sidecar.phase());
    assertEquals(HealthStatus.HEALTH_STATUS_DRAINING, cp.instance("orders", id).orElseThrow().getHealth());
    Await.until("the watcher sees DRAINING",
        () -> watcher.health("orders", id).orElse(null) == HealthStatus.HEALTH_STATUS_DRAINING);
    clock.forwardTime(Duration.ofSeconds(9));
    assertFalse(stopped.isDone());
    assertTrue(cp.instance("orders", id).isPresent(), "still registered during the drain");
    clock.forwardTime(Duration.ofSeconds(1));
    assertTrue(stopped.isDone());
    assertEquals(Sidecar.Phase.STOPPED, sidecar.phase());
    assertTrue(cp.instance("orders", id).isEmpty(), "deregistered after the drain period");
    Await.until("the watcher sees the removal", () -> watcher.health("orders", id).isEmpty());
    assertEquals(List.of("HEALTH_STATUS_SERVING", "HEALTH_STATUS_DRAINING", "REMOVED"), watcher.states(id));
  }

  @Test
  void drainEndsEarlyOnceTheAppReportsNothingInFlight() throws Exception {
    controlPlane();
    EchoHttpServer app = closeLater(EchoHttpServer.start(
        DemoConfig.custom().service("orders").latency(Duration.ofMillis(700)).build()));
    Sidecar sidecar = start(config("orders", app.port())
        .inflightUrl(URI.create("http://127.0.0.1:" + app.port() + "/admin/inflight")).build());
    String id = "127.0.0.1:" + app.port();
    CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/slow"))
            .timeout(TestDeadlines.HTTP).build(),
        HttpResponse.BodyHandlers.ofString());
    Await.until("a request is in flight", () -> app.inFlight() == 1);

    CompletableFuture<Void> stopped = sidecar.drain();
    clock.forwardTime(SidecarConfig.DEFAULT_DRAIN_SETTLE);
    assertFalse(stopped.isDone(), "one request still in flight");
    assertEquals(200, slow.get().statusCode(), "the request in flight completed");
    clock.forwardTime(Duration.ofMillis(Sidecar.INFLIGHT_POLL_MILLIS));
    assertTrue(stopped.isDone(), "ended at the first reading of zero, long before the 10 s period");
    assertTrue(cp.instance("orders", id).isEmpty());
  }

  @Test
  void controlPlaneRestartReRegistersWithTheCurrentHealth() throws Exception {
    cp = closeLater(TestControlPlane.startOnReusablePort(Duration.ofSeconds(5))); // restarted on its port below
    int port = cp.port();
    EchoHttpServer app = closeLater(startHttp("orders"));
    Sidecar sidecar = start(config("orders", app.port()).failureThreshold(1).build());
    String id = "127.0.0.1:" + app.port();

    cp.stop(); // the in-memory registry is lost
    app.setServing(false);
    clock.forwardTime(INTERVAL); // the probe fails; SetHealth cannot reach anyone and is retried
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING, sidecar.health());
    cp = closeLater(TestControlPlane.start(Duration.ofSeconds(5), port));
    clock.forwardTime(Duration.ofSeconds(6)); // longer than the longest backoff
    Await.until("the instance is back", Duration.ofSeconds(10), () -> {
      clock.forwardTime(Duration.ofMillis(100));
      return cp.instance("orders", id).isPresent();
    });
    Await.until("with the health the app has now", Duration.ofSeconds(10), () -> {
      clock.forwardTime(Duration.ofMillis(100));
      return cp.instance("orders", id).map(i -> i.getHealth() == HealthStatus.HEALTH_STATUS_NOT_SERVING).orElse(false);
    });
  }

  @Test
  void rejectedRegistrationStopsTheSidecarNamingTheSetting() {
    controlPlane();
    EchoHttpServer app = closeLater(startHttp("orders"));
    Sidecar sidecar = start(config("orders", app.port()).metadata(Map.of("blob", "x".repeat(5000))).build());
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> sidecar.stopped().get());
    InvalidSettingException invalid = assertInstanceOf(InvalidSettingException.class, e.getCause());
    assertEquals("metadata", invalid.setting(), invalid.getMessage());
    assertTrue(cp.instanceIds("orders").isEmpty());
  }

  @Test
  void localApiServesUpstreamEndpointsAndPoliciesAsTheyArePushed() throws Exception {
    controlPlane();
    EchoHttpServer app = closeLater(startHttp("web"));
    Sidecar sidecar = start(config("web", app.port()).upstreams(List.of("orders", "payments")).build());
    String base = "http://127.0.0.1:" + sidecar.apiPort();

    HttpResponse<String> none = get(base + "/v1/endpoints/orders");
    // Either not answered yet (503) or answered with no instances.
    Await.until("orders is answered", () -> get(base + "/v1/endpoints/orders").statusCode() == 200);
    assertTrue(none.statusCode() == 503 || none.statusCode() == 200, none.body());
    assertTrue(get(base + "/v1/endpoints/orders").body().contains("\"instances\":[]"));

    RegistryClient registry = closeLater(RegistryClient.builder().controlPlane(cp.address()).build());
    registry.register(InstanceSpec.builder("orders").instanceId("orders-1").address("10.0.0.1").port(8080)
        .version("v3").build());
    Await.until("orders-1 is served", () -> get(base + "/v1/endpoints/orders").body().contains("orders-1"));
    String body = get(base + "/v1/endpoints/ORDERS").body();
    assertTrue(body.startsWith("{\"service\":\"orders\",\"version\":\""), body);
    assertTrue(body.contains("\"synced\":true,\"staleness_ms\":0"), body);
    assertTrue(body.contains("{\"instance_id\":\"orders-1\",\"address\":\"10.0.0.1\",\"port\":8080,\"protocol\":"
        + "\"http\",\"version\":\"v3\",\"zone\":\"\",\"weight\":100,\"health\":\"SERVING\",\"metadata\":{}}"), body);

    assertTrue(body.endsWith("],\"traffic_policy\":null}"), "no policy yet: " + body);

    // A canary's weights reach the app with the endpoints.
    cp.controlPlane.trafficPolicies().put(TrafficPolicy.newBuilder().setService("orders")
        .addSubsets(Subset.newBuilder().setVersion("v3").setWeight(95))
        .addSubsets(Subset.newBuilder().setVersion("v4").setWeight(5)).build());
    Await.until("the policy is served", () -> get(base + "/v1/endpoints/orders").body().contains(
        ",\"subsets\":[{\"version\":\"v3\",\"weight\":95},{\"version\":\"v4\",\"weight\":5}]}}"));
    cp.controlPlane.trafficPolicies().remove("orders");
    Await.until("the policy's removal is served",
        () -> get(base + "/v1/endpoints/orders").body().endsWith("\"traffic_policy\":null}"));

    registry.registrations().get(0).setHealth(HealthStatus.HEALTH_STATUS_NOT_SERVING);
    Await.until("the health change is served",
        () -> get(base + "/v1/endpoints/orders").body().contains("\"health\":\"NOT_SERVING\""));
    registry.registrations().get(0).deregister();
    Await.until("the removal is served", () -> get(base + "/v1/endpoints/orders").body().contains("\"instances\":[]"));

    HttpResponse<String> notUpstream = get(base + "/v1/endpoints/billing");
    assertEquals(404, notUpstream.statusCode());
    assertTrue(notUpstream.body().contains("not an upstream"), notUpstream.body());
    assertEquals("{\"upstreams\":[\"orders\",\"payments\"]}", get(base + "/v1/endpoints").body());
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/endpoints/orders"))
        .timeout(TestDeadlines.HTTP)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
    String status = get(base + "/v1/status").body();
    assertTrue(status.contains("\"phase\":\"RUNNING\",\"health\":\"SERVING\""), status);
    assertTrue(status.contains("\"registered\":true"), status);
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void localApiAnswersQuicklyWhileConnectionsStallAndRefusesLargeBodies() throws Exception {
    controlPlane();
    EchoHttpServer app = closeLater(startHttp("web"));
    Sidecar sidecar = start(config("web", app.port()).upstreams(List.of("orders")).build());
    Duration read = Duration.ofSeconds(5);
    // The JDK server's threads were held by connections like these; the request timeout closes them.
    for (int i = 0; i < 4; i++) {
      closeLater(RawHttp.connect(sidecar.apiPort(), read)).send("GET /v1/sta");
    }
    RawHttp c = closeLater(RawHttp.connect(sidecar.apiPort(), read));
    long[] nanos = new long[200];
    for (int i = -20; i < nanos.length; i++) {
      long t0 = System.nanoTime();
      RawHttp.Answer a = c.exchange("GET /v1/status HTTP/1.1\r\nHost: local\r\n\r\n");
      if (i >= 0) {
        nanos[i] = System.nanoTime() - t0;
      }
      assertEquals(200, a.status());
    }
    Arrays.sort(nanos);
    assertTrue(nanos[nanos.length / 2] < 5_000_000, "median " + nanos[nanos.length / 2] / 1000 + " µs");
    RawHttp big = closeLater(RawHttp.connect(sidecar.apiPort(), read));
    RawHttp.Answer tooLarge = big.exchange("POST /v1/status HTTP/1.1\r\nHost: local\r\nContent-Length: 4096\r\n\r\n"
        + "x".repeat(4096));
    assertEquals(413, tooLarge.status());
    assertTrue(tooLarge.body().contains("larger than 1024 bytes"), tooLarge.body());
  }

  @Test
  void stalenessIsReportedWhileTheControlPlaneIsAway() {
    controlPlane();
    EchoHttpServer app = closeLater(startHttp("web"));
    Sidecar sidecar = start(config("web", app.port()).upstreams(List.of("orders")).build());
    String base = "http://127.0.0.1:" + sidecar.apiPort();
    Await.until("orders is answered", () -> get(base + "/v1/endpoints/orders").statusCode() == 200);
    cp.stop();
    Await.until("the sidecar notices", () -> !sidecar.watch().orElseThrow().isSynced());
    clock.forwardTime(Duration.ofMillis(1500));
    String body = get(base + "/v1/endpoints/orders").body();
    assertTrue(body.contains("\"synced\":false,\"staleness_ms\":15"), "last state kept, staleness shown: " + body);
  }

  private EchoHttpServer startHttp(String service) {
    try {
      return EchoHttpServer.start(DemoConfig.custom().service(service).build());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private HttpResponse<String> get(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url))
          .timeout(TestDeadlines.HTTP).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
