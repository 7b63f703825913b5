package dev.vertice.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.gateway.health.HealthFixtures.GrpcHealth;
import dev.vertice.gateway.health.HealthFixtures.HttpHealth;
import dev.vertice.gateway.health.HealthFixtures.Plane;
import dev.vertice.gateway.health.HealthReport.InstanceReport;
import dev.vertice.gateway.health.HealthReport.InstanceStatus;
import dev.vertice.gateway.health.HealthReport.Layer;
import dev.vertice.gateway.health.HealthReport.Status;
import dev.vertice.testkit.FakeClock;
import dev.vertice.testkit.RedisServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HealthCheckServiceTest {

  private final FakeClock clock = new FakeClock();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Plane plane;

  @BeforeEach
  void setUp() throws IOException {
    plane = keep(new Plane());
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T keep(T c) {
    closeables.add(c);
    return c;
  }

  private HealthCheckService service(HealthCheckConfig config) {
    return keep(HealthCheckService.builder().config(config).instances(plane.watch::get).ticker(clock).build());
  }

  private HealthCheckService service(HealthCheckConfig config, MeterRegistry meters) {
    return keep(HealthCheckService.builder().config(config).instances(plane.watch::get).ticker(clock)
        .meterRegistry(meters).build());
  }

  private static HealthReport answer(HealthCheckService s, String name) throws Exception {
    return s.check(name).get(10, TimeUnit.SECONDS);
  }

  @Test
  void firstCallProbesSecondIsServedByLayerOneUntilItsTtl() throws Exception {
    HttpHealth a = keep(new HttpHealth("/health"));
    HttpHealth b = keep(new HttpHealth("/status/ready"));
    plane.register("orders", "a", a.port(), Protocol.PROTOCOL_HTTP, Map.of());
    plane.register("orders", "b", b.port(), Protocol.PROTOCOL_HTTP, Map.of("health_path", "/status/ready"));
    plane.awaitInstances("orders", 2);
    MeterRegistry meters = new SimpleMeterRegistry();
    HealthCheckService s = service(HealthCheckConfig.ofDefaults(), meters);

    HealthReport first = answer(s, "ORDERS");
    assertEquals(Status.SERVING, first.status());
    assertEquals(Layer.PROBE, first.layer());
    assertEquals(Duration.ZERO, first.age());
    assertEquals(List.of("a", "b"), first.instances().stream().map(InstanceReport::instanceId).toList());
    for (InstanceReport i : first.instances()) {
      assertEquals(InstanceStatus.SERVING, i.status());
      assertEquals("HTTP 200", i.detail());
    }
    assertEquals(1, a.hits.get());
    assertEquals(1, b.hits.get());

    clock.forwardTime(Duration.ofSeconds(4));
    HealthReport second = answer(s, "orders");
    assertEquals(Layer.MEMORY, second.layer());
    assertEquals(Status.SERVING, second.status());
    assertEquals(Duration.ofSeconds(4), second.age());
    assertEquals(1, a.hits.get(), "layer 1 answers without probing");
    assertEquals(2, s.probesStarted());
    assertEquals(1.0, meters.get("vertice.gateway.health.checks").tag("layer", "probe").counter().count());
    assertEquals(1.0, meters.get("vertice.gateway.health.checks").tag("layer", "memory").counter().count());
    assertEquals(1, meters.get("vertice.gateway.health.check").tag("layer", "memory").timer().count());

    // Past the 5 s lifetime the next call probes again, and sees what changed.
    a.status = 503;
    clock.forwardTime(Duration.ofMillis(1001));
    HealthReport third = answer(s, "orders");
    assertEquals(Layer.PROBE, third.layer());
    assertEquals(Status.DEGRADED, third.status());
    assertEquals(InstanceStatus.NOT_SERVING, third.instances().get(0).status());
    assertEquals("HTTP 503", third.instances().get(0).detail());
    assertEquals(2, a.hits.get());
  }

  @Test
  void grpcInstancesAreProbedWithGrpcHealthCheck() throws Exception {
    GrpcHealth up = keep(new GrpcHealth());
    GrpcHealth down = keep(new GrpcHealth());
    up.set(ServingStatus.SERVING);
    down.set(ServingStatus.NOT_SERVING);
    plane.register("ledger", "g1", up.port(), Protocol.PROTOCOL_GRPC, Map.of());
    plane.register("ledger", "g2", down.port(), Protocol.PROTOCOL_GRPC, Map.of());
    plane.awaitInstances("ledger", 2);
    HealthCheckService s = service(HealthCheckConfig.ofDefaults());

    HealthReport r = answer(s, "ledger");
    assertEquals(Status.DEGRADED, r.status());
    assertEquals(InstanceStatus.SERVING, r.instances().get(0).status());
    assertEquals("grpc", r.instances().get(0).protocol());
    assertEquals(InstanceStatus.NOT_SERVING, r.instances().get(1).status());
    assertEquals("grpc NOT_SERVING", r.instances().get(1).detail());
    assertEquals(1, up.calls.get());
    assertEquals(1, down.calls.get());

    // A named grpc.health.v1 service the server does not know is NOT_FOUND: not serving.
    plane.register("ledger", "g3", up.port(), Protocol.PROTOCOL_GRPC, Map.of("grpc_health_service", "nope.Svc"));
    plane.awaitInstances("ledger", 3);
    clock.forwardTime(Duration.ofSeconds(6));
    HealthReport again = answer(s, "ledger");
    assertEquals(InstanceStatus.NOT_SERVING, again.instances().get(2).status());
    assertTrue(again.instances().get(2).detail().startsWith("grpc NOT_FOUND"), again.instances().get(2).detail());
  }

  @Test
  void redisLayerServesASecondGatewayWithoutProbing(@TempDir Path dir) throws Exception {
    RedisServer redis = keep(new RedisServer(dir.resolve("redis")));
    HttpHealth a = keep(new HttpHealth("/health"));
    plane.register("payments", "p1", a.port(), Protocol.PROTOCOL_HTTP, Map.of());
    plane.awaitInstances("payments", 1);
    HealthCheckConfig config = HealthCheckConfig.custom().redisUri(URI.create(redis.url())).build();
    HealthCheckService gateway1 = service(config);
    HealthCheckService gateway2 = service(config);

    HealthReport probed = answer(gateway1, "payments");
    assertEquals(Layer.PROBE, probed.layer());
    assertEquals(1, a.hits.get());
    // The write to layer 2 is not awaited by the first caller: wait until Redis holds it.
    dev.vertice.testkit.Await.until("the answer reached Redis",
        () -> redis.info("keyspace").contains("keys=1"));

    HealthReport shared = answer(gateway2, "payments");
    assertEquals(Layer.REDIS, shared.layer());
    assertEquals(Status.SERVING, shared.status());
    assertEquals(probed.instances(), shared.instances());
    assertTrue(shared.age().compareTo(Duration.ZERO) >= 0 && shared.age().compareTo(Duration.ofSeconds(30)) < 0,
        shared.age().toString());
    assertEquals(1, a.hits.get(), "the second gateway did not probe");
    assertEquals(0, gateway2.probesStarted());

    // The second gateway now holds it in its own layer 1.
    clock.forwardTime(Duration.ofSeconds(1));
    HealthReport local = answer(gateway2, "payments");
    assertEquals(Layer.MEMORY, local.layer());
    assertTrue(local.age().compareTo(shared.age().plusSeconds(1)) >= 0);
    assertEquals(1, a.hits.get());
  }

  @Test
  void unreachableRedisOnlyTurnsLayerTwoIntoMisses() throws Exception {
    HttpHealth a = keep(new HttpHealth("/health"));
    plane.register("billing", "b1", a.port(), Protocol.PROTOCOL_HTTP, Map.of());
    plane.awaitInstances("billing", 1);
    int deadPort = RedisServer.freePort();
    MeterRegistry meters = new SimpleMeterRegistry();
    HealthCheckService s = service(HealthCheckConfig.custom().redisUri(URI.create("redis://127.0.0.1:" + deadPort))
        .build(), meters);
    HealthReport r = answer(s, "billing");
    assertEquals(Layer.PROBE, r.layer());
    assertEquals(Status.SERVING, r.status());
    assertTrue(meters.get("vertice.gateway.health.cache.redis.errors").counter().count() >= 1);
  }

  @Test
  void openBreakerAnswersAtOnceWithoutProbingThenHalfOpenProbesAgain() throws Exception {
    HttpHealth a = keep(new HttpHealth("/health"));
    a.status = 500;
    plane.register("search", "s1", a.port(), Protocol.PROTOCOL_HTTP, Map.of());
    plane.awaitInstances("search", 1);
    MeterRegistry meters = new SimpleMeterRegistry();
    HealthCheckService s = service(HealthCheckConfig.custom().breakerWindow(3).breakerMinimumCalls(3)
        .breakerOpenDuration(Duration.ofSeconds(60)).build(), meters);

    for (int i = 0; i < 3; i++) {
      HealthReport r = answer(s, "search");
      assertEquals(Layer.PROBE, r.layer());
      assertEquals(Status.NOT_SERVING, r.status());
      clock.forwardTime(Duration.ofSeconds(6));
    }
    assertEquals(3, a.hits.get());
    assertEquals(CircuitBreaker.State.OPEN, s.breakerState("search").orElseThrow());
    assertEquals(1.0, meters.get("vertice.gateway.health.breaker.state").tag("service", "search").gauge().value(),
        "the breaker's state is exported per service: 1 open");

    HealthReport open = answer(s, "search");
    assertEquals(Layer.CIRCUIT_BREAKER, open.layer());
    assertEquals(Status.NOT_SERVING, open.status());
    assertEquals("open", open.breaker());
    assertEquals(Duration.ofSeconds(6), open.age(), "the last probe's answer, as old as it is");
    assertEquals("HTTP 500", open.instances().get(0).detail());
    HealthReport stillOpen = answer(s, "search");
    assertEquals(Layer.CIRCUIT_BREAKER, stillOpen.layer());
    assertEquals(3, a.hits.get(), "an open breaker never probes");

    // After the open period one probe is let through; it succeeds and the breaker closes.
    a.status = 200;
    clock.forwardTime(Duration.ofSeconds(61));
    HealthReport halfOpen = answer(s, "search");
    assertEquals(Layer.PROBE, halfOpen.layer());
    assertEquals(Status.SERVING, halfOpen.status());
    assertEquals(4, a.hits.get());
    assertEquals(CircuitBreaker.State.CLOSED, s.breakerState("search").orElseThrow());
    assertEquals(0.0, meters.get("vertice.gateway.health.breaker.state").tag("service", "search").gauge().value());
  }

  @Test
  void unknownServiceAndInvalidNameAreAnsweredFromTheSnapshotAlone() throws Exception {
    HealthCheckService s = service(HealthCheckConfig.ofDefaults());
    HealthReport unknown = answer(s, "no-such-service");
    assertEquals(Status.UNKNOWN_SERVICE, unknown.status());
    assertEquals(404, unknown.httpStatus());
    assertEquals(Layer.SNAPSHOT, unknown.layer());
    assertEquals("{\"service\":\"no-such-service\",\"status\":\"UNKNOWN_SERVICE\",\"layer\":\"snapshot\","
        + "\"age_ms\":0,\"breaker\":\"none\",\"instances_total\":0,\"instances\":[]}", HealthReportJson.toJson(unknown));

    HealthReport invalid = answer(s, "bad name/\"x\"");
    assertEquals(Status.INVALID_NAME, invalid.status());
    assertEquals(400, invalid.httpStatus());
    assertTrue(HealthReportJson.toJson(invalid).startsWith("{\"service\":\"bad name/\\\"x\\\"\""),
        HealthReportJson.toJson(invalid));
    assertEquals(0, s.probesStarted());
  }

  @Test
  void probesAreBoundedInTime() throws Exception {
    // Accepts connections and never answers.
    ServerSocket silent = keep(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    List<Socket> accepted = new ArrayList<>();
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          accepted.add(silent.accept());
        }
      } catch (IOException e) {
        // closed
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
    HttpHealth fine = keep(new HttpHealth("/health"));
    plane.register("slow", "a-silent", silent.getLocalPort(), Protocol.PROTOCOL_HTTP, Map.of());
    plane.register("slow", "b-fine", fine.port(), Protocol.PROTOCOL_HTTP, Map.of("health_path", "relative"));
    plane.awaitInstances("slow", 2);
    HealthCheckService s = service(HealthCheckConfig.custom().probeTimeout(Duration.ofMillis(300)).build());

    long start = System.nanoTime();
    HealthReport r = answer(s, "slow");
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(Status.NOT_SERVING, r.status());
    assertEquals(InstanceStatus.NOT_SERVING, r.instances().get(0).status());
    assertEquals("timeout after 300 ms", r.instances().get(0).detail());
    assertEquals(InstanceStatus.UNKNOWN, r.instances().get(1).status());
    assertTrue(r.instances().get(1).detail().startsWith("invalid health_path 'relative'"),
        r.instances().get(1).detail());
    assertEquals(0, fine.hits.get());
    // Not a timing target: a sanity bound that the probe did not wait for ever.
    assertTrue(tookMs < 30_000, tookMs + " ms");
    for (Socket c : accepted) {
      c.close();
    }
  }

  @Test
  void onlyTheConfiguredNumberOfInstancesIsProbed() throws Exception {
    HttpHealth a = keep(new HttpHealth("/health"));
    for (int i = 0; i < 3; i++) {
      plane.register("many", "i" + i, a.port(), Protocol.PROTOCOL_HTTP, Map.of());
    }
    plane.awaitInstances("many", 3);
    HealthCheckService s = service(HealthCheckConfig.custom().maxInstancesPerCheck(2).build());
    HealthReport r = answer(s, "many");
    assertEquals(3, r.instancesTotal());
    assertEquals(2, r.instances().size());
    assertEquals(2, a.hits.get());
  }
}
