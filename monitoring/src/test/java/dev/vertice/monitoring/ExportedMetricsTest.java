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
import dev.vertice.observability.SmallMetrics;
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
    assertEquals(List.of(), wrongLabels(exported), "labels queried by monitoring/ that no exported series has");
  }

  private static final Pattern JVM_NAME = Pattern.compile("\\b((?:jvm|process|system)_[a-z0-9_]+)");

  /**
   * The {@code jvm_*} and {@code process_*} series the dashboards read are exported by Micrometer's
   * JVM binders (the control plane, the gateway) and by the sidecar's {@link SmallMetrics} alike,
   * and the sidecar's exposition passes {@code promtool check metrics} but for the one lint
   * Micrometer's shares ({@code system_cpu_count} ends in {@code _count}).
   */
  @Test
  @org.junit.jupiter.api.Timeout(value = 60, unit = java.util.concurrent.TimeUnit.SECONDS)
  void bothRegistriesExportTheJvmSeriesTheDashboardsReadAndTheSmallOnePassesPromtool() throws Exception {
    Set<String> queried = new TreeSet<>();
    Matcher m = JVM_NAME.matcher(Tool.ok("python3", "grafana/generate.py", "--queries"));
    while (m.find()) {
      queried.add(m.group(1));
    }
    assertTrue(queried.containsAll(Set.of("jvm_memory_used_bytes", "jvm_gc_pause_seconds_sum", "process_cpu_usage")),
        "the dashboards' JVM queries: " + queried);
    SmallMetrics small = SmallMetrics.withJvmMetrics();
    small.counter("vertice.sidecar.probes", "Health probes of the app, by result", "result", "success").increment();
    String smallText = small.scrape();
    try (Metrics micrometer = Metrics.withJvmMetrics()) {
      // Micrometer writes a collector's pauses once it has been notified of one.
      System.gc();
      String micrometerText = Await.value("Micrometer's JVM binders saw a collection", Duration.ofSeconds(20), () -> {
        String text = micrometer.scrape();
        return text.contains("jvm_gc_pause_seconds_sum") ? text : null;
      });
      for (String name : queried) {
        Pattern series = Pattern.compile("(?m)^" + Pattern.quote(name) + "[{ ]");
        assertTrue(series.matcher(smallText).find(), "SmallMetrics lacks " + name + ":\n" + smallText);
        assertTrue(series.matcher(micrometerText).find(), "Micrometer lacks " + name + ":\n" + micrometerText);
      }
    }
    Path file = tmp.resolve("sidecar.prom");
    Files.writeString(file, smallText);
    Tool lint = Tool.run("bash", "-c", "promtool check metrics < \"$0\"", file.toString());
    List<String> problems = lint.output().lines().filter(l -> !l.isBlank())
        .filter(l -> !l.startsWith("system_cpu_count non-histogram and non-summary metrics should not have \"_count\""))
        .toList();
    assertEquals(List.of(), problems, "promtool check metrics (exit " + lint.exitCode() + "):\n" + smallText);
  }

  /** Labels Prometheus adds to every series itself, and {@code le} of histogram buckets. */
  private static final Set<String> TARGET_LABELS = Set.of("job", "instance", "le", "alertname");
  private static final Pattern SELECTOR = Pattern.compile("\\b(vertice_[a-z0-9_]+)\\{([^}]*)\\}");
  private static final Pattern MATCHER = Pattern.compile("([a-z_]+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
  private static final Pattern BY = Pattern.compile("\\bby\\s*\\(([^)]*)\\)");

  /**
   * Checks every label the rules and dashboards use against the exported series: a label in a
   * selector or a {@code by (...)} clause must exist on the metric (for {@code by}, on one of the
   * expression's metrics), and a value matched with {@code =} or listed in a {@code =~"a|b"} must be
   * one the metric exports. Returns what does not hold.
   */
  private static List<String> wrongLabels(String exported) throws Exception {
    List<String> expressions = new ArrayList<>(List.of(Tool.ok("python3", "grafana/generate.py", "--queries")
        .split("\n")));
    expressions.addAll(List.of(Files.readString(Tool.MONITORING.resolve("prometheus/alerts/vertice.yml"))
        .split("- alert:")));
    List<String> wrong = new ArrayList<>();
    for (String expr : expressions) {
      Set<String> metrics = new TreeSet<>();
      Matcher names = NAME.matcher(expr);
      while (names.find()) {
        metrics.add(names.group(1));
      }
      Matcher sel = SELECTOR.matcher(expr);
      while (sel.find()) {
        String metric = sel.group(1);
        Matcher m = MATCHER.matcher(sel.group(2));
        while (m.find()) {
          String label = m.group(1);
          if (TARGET_LABELS.contains(label)) {
            continue;
          }
          if (!hasLabel(exported, metric, label, null)) {
            wrong.add(metric + " has no label " + label);
          } else if (m.group(2).equals("=") || m.group(2).equals("=~") && m.group(3).matches("[a-z0-9_|]+")) {
            for (String value : m.group(3).split("\\|")) {
              // A value this scenario did not produce must at least be one the code can give
              // (a tag literal, or an enum constant written in lower case).
              if (!hasLabel(exported, metric, label, value) && !sources().contains("\"" + value + "\"")
                  && !Pattern.compile("\\b" + Pattern.quote(value.toUpperCase()) + "\\b").matcher(sources()).find()) {
                wrong.add(metric + "{" + label + "=\"" + value + "\"} is never exported");
              }
            }
          }
        }
      }
      Matcher by = BY.matcher(expr);
      while (by.find()) {
        for (String label : by.group(1).split(",")) {
          String l = label.strip();
          if (!l.isEmpty() && !TARGET_LABELS.contains(l) && !metrics.isEmpty()
              && metrics.stream().noneMatch(metric -> hasLabel(exported, metric, l, null))) {
            wrong.add("by (" + l + ") on " + metrics + ": none of them has that label");
          }
        }
      }
    }
    return wrong;
  }

  private static String sources;

  /** The main Java sources of every module, concatenated. */
  private static synchronized String sources() throws java.io.UncheckedIOException {
    if (sources == null) {
      StringBuilder all = new StringBuilder();
      try (var files = Files.walk(Tool.MONITORING.getParent())) {
        for (Path f : files.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/main/java/"))
            .toList()) {
          all.append(Files.readString(f)).append('\n');
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      sources = all.toString();
    }
    return sources;
  }

  /** Whether a series of {@code metric} has {@code label} (with {@code value}, when not null). */
  private static boolean hasLabel(String exposition, String metric, String label, String value) {
    String base = metric.replaceAll("_(bucket|sum|count)$", "");
    Pattern line = Pattern.compile("(?m)^(?:" + Pattern.quote(metric) + "|" + Pattern.quote(base)
        + "_(?:bucket|sum|count))\\{[^}]*\\b" + Pattern.quote(label) + "=\""
        + (value == null ? "" : Pattern.quote(value) + "\""));
    return line.matcher(exposition).find();
  }

  /**
   * The counter that DeregistrationSpike and the registry dashboard read moves when a lease
   * expires, on both stores: on Redis the replica whose expiry script removed the instance counts it
   * (it stayed 0 there before).
   */
  @Test
  @org.junit.jupiter.api.Timeout(value = 60, unit = java.util.concurrent.TimeUnit.SECONDS)
  void leaseExpirationsAreCountedOnRedisAndInMemory() throws Exception {
    RedisServer redis = new RedisServer(tmp.resolve("redis-expiry"));
    closeables.add(redis::close);
    for (RedisStoreConfig store : java.util.Arrays.asList(null, RedisStoreConfig.parse(redis.url()))) {
      Metrics metrics = Metrics.bare();
      ControlPlaneMetrics cpm = new ControlPlaneMetrics(metrics.registry());
      ControlPlane.Builder b = ControlPlane.builder().registryEvents(cpm).convergenceListener(cpm)
          .registryConfig(dev.vertice.controlplane.registry.RegistryConfig.custom().minTtl(Duration.ofMillis(500))
              .expiryResolution(Duration.ofMillis(100)).build());
      ControlPlane cp = (store == null ? b : b.redis(store)).build();
      closeables.add(cp);
      cpm.bind(cp);
      String kind = store == null ? "memory" : "redis";
      cp.store().register(Instance.newBuilder().setService("orders").setInstanceId("gone-" + kind)
          .setAddress("127.0.0.1").setPort(80).setProtocol(Protocol.PROTOCOL_HTTP).build(), Duration.ofMillis(500),
          Duration.ofMillis(250));
      Await.until("the " + kind + " store counted the expiration", Duration.ofSeconds(20),
          () -> metrics.scrape().contains("vertice_lease_expirations_total{reason=\"ttl\"} 1.0"));
      assertTrue(metrics.scrape().contains("vertice_lease_expirations_total{reason=\"grace\"} 0.0"), kind);
    }
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
    // As the sidecar process does: its own small registry, not Micrometer's.
    SmallMetrics scMetrics = SmallMetrics.bare();
    Sidecar sidecar = Sidecar.builder(SidecarConfig.custom("inventory", ok).controlPlane("127.0.0.1:" + server.port())
        .apiPort(0).upstreams(List.of("orders")).exec(List.of("sleep", "600")).appStopGrace(Duration.ofSeconds(2))
        .build()).meters(scMetrics).build();
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
