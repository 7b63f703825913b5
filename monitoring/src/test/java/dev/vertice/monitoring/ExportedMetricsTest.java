package dev.vertice.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.client.WatchClientMetrics;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.metrics.ControlPlaneMetrics;
import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import dev.vertice.gateway.Gateway;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.gateway.resilience.ResilienceConfig;
import dev.vertice.observability.AdminServer;
import dev.vertice.observability.GrpcServerMetrics;
import dev.vertice.observability.Metrics;
import dev.vertice.sidecar.Sidecar;
import dev.vertice.sidecar.SidecarConfig;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import dev.vertice.testkit.TestDeadlines;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code vertice_*} metric the alert rules and the dashboards query is exported by a real
 * control plane (on a real Redis, so the store's breaker exists), a real gateway and a real sidecar
 * (probing a real app), after a few requests, a rollout and an opened breaker.
 */
class ExportedMetricsTest {

  /** Metrics of components outside Vertice (Prometheus itself, exporters). */
  static final Set<String> EXTERNAL_PREFIXES = Set.of("redis_", "node_", "process_", "go_");
  static final Set<String> EXTERNAL = Set.of("up", "ALERTS", "ALERTS_FOR_STATE");

  private static final Pattern NAME = Pattern.compile("\\b(vertice_[a-z0-9_]+)");

  @TempDir
  Path tmp;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** Every metric name the monitoring files query. */
  static Set<String> queriedNames() throws Exception {
    Set<String> names = new TreeSet<>();
    String text = Files.readString(Tool.MONITORING.resolve("prometheus/alerts/vertice.yml"))
        + "\n" + Tool.ok("python3", "grafana/generate.py", "--queries");
    Matcher m = NAME.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  @Test
  void everyQueriedVerticeMetricIsExported() throws Exception {
    Set<String> queried = queriedNames();
    assertTrue(queried.size() > 30, "names found: " + queried);
    String exported = scrapeAll();
    List<String> missing = new ArrayList<>();
    for (String name : queried) {
      if (!exportedName(exported, name)) {
        missing.add(name);
      }
    }
    assertEquals(List.of(), missing, "queried by monitoring/ but not exported");
  }

  /** A series line of {@code name} (a histogram's _bucket/_sum/_count stand for it too). */
  private static boolean exportedName(String exposition, String name) {
    String base = name.replaceAll("_(bucket|sum|count)$", "");
    Pattern line = Pattern.compile("(?m)^(" + Pattern.quote(name) + "|" + Pattern.quote(base)
        + "_(bucket|sum|count))[{ ]");
    return line.matcher(exposition).find();
  }

  private String scrapeAll() throws Exception {
    RedisServer redis = new RedisServer(tmp.resolve("redis"));
    closeables.add(redis::close);

    Metrics cpMetrics = Metrics.bare();
    ControlPlaneMetrics cpm = new ControlPlaneMetrics(cpMetrics.registry());
    ControlPlane cp = ControlPlane.builder().redis(RedisStoreConfig.parse(redis.url())).registryEvents(cpm)
        .convergenceListener(cpm).build();
    closeables.add(cp);
    cpm.bind(cp);
    ControlPlaneServer server = new ControlPlaneServer(cp, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES,
        List.of(new GrpcServerMetrics(cpMetrics.registry())));
    closeables.add(() -> server.stop(Duration.ZERO));
    AdminServer cpAdmin = AdminServer.bind("127.0.0.1", 0, cpMetrics, () -> true).start();
    closeables.add(cpAdmin);

    int ok = upstream(200);
    int failing = upstream(500);
    register(cp, "orders", "o1", ok, "v1");
    register(cp, "orders", "o2", ok, "v2");
    register(cp, "pay", "p1", failing, "v1");

    Metrics gwMetrics = Metrics.bare();
    Gateway gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
            .resilience(ResilienceConfig.custom().serviceBreaker(50, 4, 4).openWait(Duration.ofMinutes(5)).build())
            .build())
        .controlPlane("127.0.0.1:" + server.port()).meterRegistry(gwMetrics.registry()).start();
    closeables.add(gateway);
    WatchClientMetrics.bind(gateway.watchClient(), gwMetrics.registry());
    AdminServer gwAdmin = AdminServer.bind("127.0.0.1", 0, gwMetrics, () -> true).start();
    closeables.add(gwAdmin);

    // A sidecar for an app (the 200 upstream answers its /health probe), watching orders; it also
    // supervises a process (--exec), so that the vertice_sidecar_app_* meters exist. Closing the
    // sidecar stops the process.
    Metrics scMetrics = Metrics.bare();
    Sidecar sidecar = Sidecar.builder(SidecarConfig.custom("inventory", ok).controlPlane("127.0.0.1:" + server.port())
        .apiPort(0).upstreams(List.of("orders")).exec(List.of("sleep", "600")).appStopGrace(Duration.ofSeconds(2))
        .build()).meterRegistry(scMetrics.registry()).build();
    closeables.add(sidecar);
    sidecar.start();
    AdminServer scAdmin = AdminServer.bind("127.0.0.1", 0, scMetrics, () -> true).start();
    closeables.add(scAdmin);

    HttpClient http = HttpClient.newHttpClient();
    String proxy = "http://127.0.0.1:" + gateway.port();
    Await.until("orders is routed and both its versions are in the registry", () ->
        send(http, "GET", proxy + "/orders/x") == 200 && cp.registry().service("orders") != null
            && cp.registry().service("orders").instances().size() == 2);
    cp.canary().create(RolloutSpec.draft().service("orders").stableVersion("v1").candidateVersion("v2")
        .stageDuration(Duration.ofMinutes(5)).analysisInterval(Duration.ofMinutes(1))
        .progressDeadline(Duration.ofMinutes(30)).validate().orThrow());
    for (int i = 0; i < 5; i++) {
      send(http, "GET", proxy + "/orders/x");
    }
    Await.until("pay is routed", () -> send(http, "POST", proxy + "/pay/x") == 500);
    // Failed POSTs (not retried) open the service's breaker.
    Await.until("the pay breaker opens", () -> send(http, "POST", proxy + "/pay/x") == 503);
    cp.store().deregister("pay", "p1");
    // A unary call to the control plane (the gateway's Watch stream is still open, so not yet timed).
    io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .usePlaintext().build();
    closeables.add(() -> channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS));
    io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
        .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
        .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
    return Await.value("the scrapes have the opened breaker, the deregistration and the registered sidecar",
        Duration.ofSeconds(10), () -> {
          String cpText = get(http, "http://127.0.0.1:" + cpAdmin.port() + "/metrics");
          String gwText = get(http, "http://127.0.0.1:" + gwAdmin.port() + "/metrics");
          String scText = get(http, "http://127.0.0.1:" + scAdmin.port() + "/metrics");
          return gwText.contains("vertice_gateway_circuit_breaker_transitions_total{service=\"pay\",to=\"open\"}")
              && cpText.contains("vertice_deregistrations_total 1") && scText.contains("vertice_sidecar_registered 1.0")
              && scText.contains("vertice_sidecar_app_up 1.0")
              ? cpText + "\n" + gwText + "\n" + scText : null;
        });
  }

  private int upstream(int status) throws Exception {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    s.createContext("/", x -> {
      x.getRequestBody().readAllBytes();
      x.sendResponseHeaders(status, -1);
      x.close();
    });
    s.start();
    closeables.add(() -> s.stop(0));
    return s.getAddress().getPort();
  }

  private static void register(ControlPlane cp, String service, String id, int port, String version) throws Exception {
    cp.store().register(Instance.newBuilder().setService(service).setInstanceId(id).setAddress("127.0.0.1")
        .setPort(port).setVersion(version).setWeight(100).setProtocol(Protocol.PROTOCOL_HTTP)
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build(), Duration.ofMinutes(10), Duration.ofMinutes(10));
  }

  private static int send(HttpClient http, String method, String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
          .method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString("x")
              : HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
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
}
