package dev.vertice.interop.polyglot;

import static dev.vertice.interop.polyglot.Events.bool;
import static dev.vertice.interop.polyglot.Events.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.rpc.BadRequest;
import dev.vertice.api.externalscaler.ExternalScalerGrpc;
import dev.vertice.api.externalscaler.GetMetricsRequest;
import dev.vertice.api.externalscaler.IsActiveResponse;
import dev.vertice.api.externalscaler.ScaledObjectRef;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.client.StatsReporter;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.autoscale.AutoscaleConfig;
import dev.vertice.controlplane.metrics.ControlPlaneMetrics;
import dev.vertice.demo.DemoConfig;
import dev.vertice.demo.EchoHttpServer;
import dev.vertice.gateway.Gateway;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.observability.AdminServer;
import dev.vertice.observability.Metrics;
import dev.vertice.testkit.Await;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * KEDA's external scaler API end to end: a real control plane fed by a real gateway (in-process,
 * real sockets, stats every 200 ms) proxying generated HTTP load to a demo upstream, queried by the
 * generated Java client and by the Python client generated with Debian's protoc and
 * grpc_python_plugin ({@code examples/python/keda_scaler_client.py}), as KEDA would query it.
 */
@Timeout(120)
class KedaScalerInteropTest {

  private static final Duration STATS_INTERVAL = Duration.ofMillis(200);
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final Path ROOT = ExampleClient.ROOT;
  private static final Path PYTHON_GEN = ROOT.resolve("interop-tests/target/python-gen-keda");

  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final List<ClientProcess> processes = new ArrayList<>();
  private final ConcurrentLinkedDeque<Long> completions = new ConcurrentLinkedDeque<>();
  private ScheduledExecutorService load;
  private HttpClient http;
  private ControlPlaneServer server;
  private Gateway gateway;
  private StatsReporter reporter;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws Exception {
    if (load != null) {
      load.shutdownNow();
      load.awaitTermination(5, TimeUnit.SECONDS);
    }
    for (ClientProcess p : processes) {
      p.close();
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (gateway != null) {
      gateway.close();
    }
    if (reporter != null) {
      reporter.close();
    }
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
    if (server != null) {
      server.stop(Duration.ofMillis(500));
    }
  }

  @Test
  void javaAndPythonClientsFollowTheLoadAGatewayReports() throws Exception {
    Metrics metrics = Metrics.bare();
    cleanup.add(metrics);
    ControlPlaneMetrics cpMetrics = new ControlPlaneMetrics(metrics.registry());
    // A batch counts for 5 of the gateway's 200 ms intervals (1 s): a stats timer delayed by a loaded
    // machine must not read as idle.
    ControlPlane cp = ControlPlane.builder().registryEvents(cpMetrics).convergenceListener(cpMetrics)
        .autoscale(AutoscaleConfig.custom().staleIntervals(5).build()).build();
    cpMetrics.bind(cp);
    server = new ControlPlaneServer(cp, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES);
    AdminServer admin = AdminServer.bind("127.0.0.1", 0, metrics, () -> true).start();
    cleanup.add(admin::close);
    String address = "127.0.0.1:" + server.port();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();

    // The upstream: the demo's HTTP echo, 50 ms per request (so that requests are in flight).
    EchoHttpServer upstream = EchoHttpServer.start(DemoConfig.custom().service("orders").instanceId("orders-1")
        .port(0).latency(Duration.ofMillis(50)).build());
    cleanup.add(upstream::close);
    // Generous: the first call loads most of the control plane's classes, on a shared, busy machine.
    RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).register(RegisterRequest
        .newBuilder().setInstance(Instance.newBuilder().setService("orders").setInstanceId("orders-1")
            .setAddress("127.0.0.1").setPort(upstream.port()).setVersion("v1")
            .setHealth(HealthStatus.HEALTH_STATUS_SERVING)).build());

    // The gateway, reporting what it proxies (and what is in flight) every 200 ms.
    AtomicReference<Gateway> started = new AtomicReference<>();
    reporter = StatsReporter.builder().controlPlane(address).reporter("gw-keda").interval(STATS_INTERVAL)
        .inFlight(() -> started.get() == null ? Map.of() : started.get().routingState().inFlight()).build();
    StatsReporter r = reporter;
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .controlPlane(address).stats(r::record).start();
    started.set(gateway);
    Await.until("the gateway routes orders", DEADLINE,
        () -> gateway.routesReady() && gateway.routingState().table().knows("orders"));
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    load = Executors.newScheduledThreadPool(2);

    Map<String, String> rps = Map.of("service", "orders", "metric", "rps", "target", "50");
    ExternalScalerGrpc.ExternalScalerBlockingStub java = ExternalScalerGrpc.newBlockingStub(channel);

    // Both clients watch the activity before any traffic.
    BlockingQueue<Object> javaStream = new LinkedBlockingQueue<>();
    Context.CancellableContext streamContext = Context.current().withCancellation();
    cleanup.add(() -> streamContext.cancel(null));
    streamContext.run(() -> ExternalScalerGrpc.newStub(channel).streamIsActive(ref(rps), observer(javaStream)));
    ClientProcess pyStream = python("stream", address, rps);
    assertEquals(false, javaStream.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS));
    pyStream.await("active", e -> !bool(e, "result"), DEADLINE);
    assertFalse(isActive(java, rps));

    // Traffic starts: both streams push the flip; IsActive agrees; GetMetrics follows the rate.
    long startNanos = System.nanoTime();
    ScheduledFuture<?> slow = drive(40);
    assertEquals(true, javaStream.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS));
    long javaFlipMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    pyStream.await("active", e -> bool(e, "result"), DEADLINE);
    assertTrue(isActive(java, rps));
    double slowRps = following(java, rps, "40 req/s", 0);
    double p99 = Await.value("a p99 reported", DEADLINE, () -> {
      double v = value(java, Map.of("service", "orders", "metric", "p99_ms", "target", "100"));
      return v > 0 ? v : null;
    });
    // At least the upstream's 50 ms; no upper bound: on a loaded machine a few requests wait far longer.
    assertTrue(p99 >= 45, "p99 " + p99 + " ms of a 50 ms upstream");

    // Four times the load: GetMetrics follows within the next intervals; requests are in flight.
    slow.cancel(false);
    long switchNanos = System.nanoTime();
    long batches = reporter.batchesSent();
    ScheduledFuture<?> fast = drive(160);
    Await.until("two stats batches after the switch", DEADLINE, () -> reporter.batchesSent() >= batches + 2);
    // Both the client's own rate and the reported one must rise above twice the slow rate (a loaded
    // machine may lag behind 160/s for a while), the reported one following the client's.
    double fastRps = following(java, rps, "160 req/s", 2 * slowRps);
    long followMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - switchNanos);
    Await.until("requests in flight reported", DEADLINE,
        () -> value(java, Map.of("service", "orders", "metric", "inflight", "target", "4")) >= 1);
    // Python sees the live rate too (asked again while a loaded machine made its interpreter start late).
    List<Struct> pyMetrics = new ArrayList<>();
    Await.until("the Python client reads a rate", DEADLINE, () -> {
      Struct m = python("metrics", address, rps).await("metric", e -> true, DEADLINE);
      pyMetrics.add(m);
      return m.getFieldsOrThrow("value").getNumberValue() > 0;
    });
    assertEquals("vertice-rps-orders", str(pyMetrics.get(0), "metric"));
    Await.until("/metrics exports the service's rate", DEADLINE, () -> scrape(admin.port())
        .contains("vertice_autoscale_requests_per_second{service=\"orders\"}"));

    // Traffic stops: activity flips back in both streams and in IsActive.
    fast.cancel(false);
    long stopNanos = System.nanoTime();
    Await.until("IsActive says idle", DEADLINE, () -> !isActive(java, rps));
    long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopNanos);
    // The Java stream's last message says idle (the unary answer may come a moment before the push).
    List<Object> javaChanges = new ArrayList<>();
    while (javaChanges.isEmpty() || !Boolean.FALSE.equals(javaChanges.get(javaChanges.size() - 1))
        || !javaStream.isEmpty()) {
      Object next = javaStream.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      assertTrue(next != null, "the Java stream pushes the flip to idle; it pushed " + javaChanges);
      javaChanges.add(next);
    }
    pyStream.await(1, "active", e -> !bool(e, "result"), DEADLINE);
    List<Boolean> pyChanges = pyStream.eventsFrom(0).stream().filter(e -> "active".equals(str(e, "event")))
        .map(e -> bool(e, "result")).toList();
    for (int i = 1; i < pyChanges.size(); i++) {
      assertTrue(pyChanges.get(i) != pyChanges.get(i - 1), "one message per change: " + pyChanges);
    }

    // Bad metadata and unknown services: INVALID_ARGUMENT naming the key, from both clients.
    StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> java
        .withDeadlineAfter(10, TimeUnit.SECONDS).getMetrics(GetMetricsRequest.newBuilder()
            .setScaledObjectRef(ref(Map.of("service", "orders", "metric", "cpu", "target", "10"))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
    assertEquals(List.of("scaledObjectRef.scalerMetadata.metric"), StatusProto.fromThrowable(bad).getDetails(0)
        .unpack(BadRequest.class).getFieldViolationsList().stream().map(BadRequest.FieldViolation::getField).toList());
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> isActive(java, Map.of("service", "ghost", "target", "1")));
    assertEquals(Status.Code.INVALID_ARGUMENT, unknown.getStatus().getCode());
    String pyBad = str(python("metrics", address, Map.of("service", "orders", "target", "-1"))
        .await("error", e -> true, DEADLINE), "error");
    assertTrue(pyBad.startsWith("INVALID_ARGUMENT") && pyBad.contains("scalerMetadata.target"), pyBad);
    String pyUnknown = str(python("is-active", address, Map.of("service", "ghost", "target", "1"))
        .await("error", e -> true, DEADLINE), "error");
    assertTrue(pyUnknown.startsWith("INVALID_ARGUMENT") && pyUnknown.contains("'ghost' is not a known service"),
        pyUnknown);

    System.out.printf("KedaScalerInteropTest (stats every %d ms, load average %s): active after %d ms of traffic;"
        + " rps %.1f at 40 req/s, %.1f at 160 req/s, followed %d ms after the switch; p99 %.0f ms; idle %d ms after"
        + " the last request%n", STATS_INTERVAL.toMillis(), loadAverage(), javaFlipMs, slowRps, fastRps, followMs,
        p99, idleMs);
  }

  /**
   * Waits until GetMetrics agrees with the rate the load generator completed over the last second
   * (± 35 % + 5 req/s: the two windows differ by up to one interval), and returns the reported rate.
   */
  /**
   * Waits until the client's own completion rate and the rate GetMetrics reports are both above
   * {@code minRate}, the reported one within 35 % + 5 of the client's; returns the reported rate.
   */
  private double following(ExternalScalerGrpc.ExternalScalerBlockingStub java, Map<String, String> md, String what,
      double minRate) {
    double[] last = new double[2];
    try {
      return Await.value("GetMetrics follows " + what, DEADLINE, () -> {
        double reported = value(java, md);
        double client = clientRate();
        last[0] = reported;
        last[1] = client;
        return client > Math.max(0, minRate) && reported > minRate && Math.abs(reported - client) <= 0.35 * client + 5
            ? reported : null;
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " (last: reported " + last[0] + ", client " + last[1] + ")", e);
    }
  }

  /** Responses completed per second over the last second. */
  private double clientRate() {
    long since = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    completions.removeIf(t -> t - since < 0);
    return completions.size();
  }

  /** Sends {@code perSecond} requests a second to orders through the gateway until cancelled. */
  private ScheduledFuture<?> drive(int perSecond) {
    URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/orders/buy");
    return load.scheduleAtFixedRate(() -> http.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5))
            .GET().build(), HttpResponse.BodyHandlers.discarding())
        .thenRun(() -> completions.add(System.nanoTime())), 0, 1_000_000 / perSecond, TimeUnit.MICROSECONDS);
  }

  private static ScaledObjectRef ref(Map<String, String> md) {
    return ScaledObjectRef.newBuilder().setName("orders").setNamespace("shop").putAllScalerMetadata(md).build();
  }

  private static boolean isActive(ExternalScalerGrpc.ExternalScalerBlockingStub java, Map<String, String> md) {
    return java.withDeadlineAfter(10, TimeUnit.SECONDS).isActive(ref(md)).getResult();
  }

  private static double value(ExternalScalerGrpc.ExternalScalerBlockingStub java, Map<String, String> md) {
    return java.withDeadlineAfter(10, TimeUnit.SECONDS).getMetrics(GetMetricsRequest.newBuilder()
        .setScaledObjectRef(ref(md)).build()).getMetricValues(0).getMetricValueFloat();
  }

  private String scrape(int port) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String loadAverage() {
    return String.format("%.1f", java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        .getSystemLoadAverage());
  }

  private static StreamObserver<IsActiveResponse> observer(BlockingQueue<Object> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(IsActiveResponse value) {
        into.add(value.getResult());
      }

      @Override
      public void onError(Throwable t) {
        into.add(t);
      }

      @Override
      public void onCompleted() {
        into.add("completed");
      }
    };
  }

  /** Runs examples/python/keda_scaler_client.py with {@code --json}. */
  private ClientProcess python(String command, String address, Map<String, String> md) {
    generatePython();
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-u",
        ROOT.resolve("examples/python/keda_scaler_client.py").toString(), "--target", address, "--json"));
    md.forEach((k, v) -> cmd.addAll(List.of("--metadata", k + "=" + v)));
    cmd.add(command);
    ClientProcess p = ClientProcess.start("python keda " + command, cmd, Map.of("VERTICE_PYTHON_GEN",
        PYTHON_GEN.toString()), ROOT, ROOT.resolve("interop-tests/target/client-logs"));
    processes.add(p);
    return p;
  }

  private static boolean generated;

  /** Generates the Python modules (the scaler API among them) with the script users run, once. */
  private static synchronized void generatePython() {
    if (generated) {
      return;
    }
    try {
      Process p = new ProcessBuilder(ROOT.resolve("examples/python/generate.sh").toString(), PYTHON_GEN.toString())
          .redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new AssertionError("examples/python/generate.sh failed:\n" + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while generating the Python code", e);
    }
    generated = true;
  }
}
