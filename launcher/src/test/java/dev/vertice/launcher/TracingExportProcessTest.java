package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./vertice gateway} and {@code ./vertice sidecar} as child processes with the standard
 * {@code OTEL_*} variables pointing at an OTLP/HTTP receiver in this test: their calls to the
 * control plane arrive as client spans of the right service, and nothing arrives when tracing is
 * configured off.
 *
 * <p>The receiver decodes each {@code ExportTraceServiceRequest} with protobuf's unknown-field
 * parser, by the field numbers of opentelemetry-proto's trace.proto (the generated OTLP classes are
 * not on our class path).
 */
class TracingExportProcessTest {

  private static final Pattern GATEWAY_READY = Pattern.compile(
      "listening on 127\\.0\\.0\\.1:(\\d+) .*admin: (http://127\\.0\\.0\\.1:\\d+)/metrics");
  private static final Pattern SIDECAR_ADMIN = Pattern.compile("admin: (http://127\\.0\\.0\\.1:\\d+)/metrics");
  /** Generous: the machine running the tests may be loaded. */
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int SPAN_KIND_CLIENT = 3;
  private static final int SPAN_KIND_SERVER = 2;

  /** One exported span: its resource's service.name, name, kind and trace id (hex). */
  record Span(String service, String name, int kind, String traceId) {}

  @TempDir
  Path tmp;
  private final List<Process> processes = new ArrayList<>();
  private final List<Span> spans = new CopyOnWriteArrayList<>();
  private final AtomicInteger exports = new AtomicInteger();
  private final HttpClient http = HttpClient.newHttpClient();
  private HttpServer receiver;
  private HttpServer app;
  private ControlPlane controlPlane;
  private ControlPlaneServer server;

  @BeforeEach
  void setUp() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    receiver.createContext("/v1/traces", x -> {
      byte[] body = x.getRequestBody().readAllBytes();
      exports.incrementAndGet();
      int status = 200;
      try {
        spans.addAll(decode(body));
      } catch (IOException e) {
        status = 400;
      }
      x.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      x.sendResponseHeaders(status, -1); // an empty ExportTraceServiceResponse
      x.close();
    });
    receiver.start();
    app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    app.createContext("/", x -> {
      x.getRequestBody().readAllBytes();
      x.sendResponseHeaders(200, -1);
      x.close();
    });
    app.start();
    controlPlane = ControlPlane.builder().build();
    server = new ControlPlaneServer(controlPlane, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES);
    controlPlane.store().register(Instance.newBuilder().setService("orders").setInstanceId("o1")
        .setAddress("127.0.0.1").setPort(app.getAddress().getPort()).setVersion("v1").setWeight(100)
        .setProtocol(Protocol.PROTOCOL_HTTP).setHealth(HealthStatus.HEALTH_STATUS_SERVING).build(),
        Duration.ofMinutes(10), Duration.ofMinutes(10));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.stop(Duration.ZERO);
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
    if (app != null) {
      app.stop(0);
    }
    if (receiver != null) {
      receiver.stop(0);
    }
  }

  @Test
  void configuredProcessesExportTheirControlPlaneCallsAsClientSpans() throws Exception {
    // No OTEL_EXPORTER_OTLP_PROTOCOL: OTLP over HTTP is our default (the gRPC sender is not shipped).
    Map<String, String> otel = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.getAddress()
        .getPort(), "OTEL_BSP_SCHEDULE_DELAY", "100");
    Child gateway = startGateway(otel);
    Child sidecar = startSidecar(otel);
    exercise(gateway, sidecar);

    // Unary calls (the sidecar's Register) are exported while the process runs.
    Await.until("the sidecar's Register arrives as a client span", WAIT, () -> has("vertice-sidecar",
        "vertice.registry.v1.RegistryService/Register", SPAN_KIND_CLIENT));
    Await.until("the proxied request arrives as a server span", WAIT, () -> spans.stream().anyMatch(s ->
        s.service().equals("vertice-gateway") && s.kind() == SPAN_KIND_SERVER));
    // SIGTERM: the sidecar drains (its Deregister is a unary call) and flushes before exiting.
    stop(sidecar);
    assertTrue(has("vertice-sidecar", "vertice.registry.v1.RegistryService/Deregister", SPAN_KIND_CLIENT),
        "the drain's Deregister is flushed before the sidecar exits: " + spans + "\n"
            + String.join("\n", sidecar.lines()));
    // A stream's span ends with the stream: the control plane going away ends the gateway's watch and
    // stats streams, and their spans are exported while the gateway runs on.
    server.stop(Duration.ZERO);
    try {
      Await.until("the gateway's watch stream arrives as a client span", WAIT, () -> spans.stream().anyMatch(s ->
          s.service().equals("vertice-gateway") && s.kind() == SPAN_KIND_CLIENT
              && s.name().startsWith("vertice.discovery.v1.")));
      Await.until("the gateway's stats stream arrives as a client span", WAIT, () -> has("vertice-gateway",
          "vertice.stats.v1.StatsService/ReportStats", SPAN_KIND_CLIENT));
    } catch (AssertionError e) {
      throw new AssertionError(spans + "\n" + String.join("\n", gateway.lines()), e);
    }
    stop(gateway);
    for (Span s : spans) {
      assertEquals(32, s.traceId().length(), "a 16-byte trace id: " + s);
      assertTrue(!s.traceId().equals("0".repeat(32)), "a valid trace id: " + s);
    }
  }

  @Test
  void processesConfiguredOffSendNothing() throws Exception {
    // The endpoint points at the receiver, but tracing is switched off two standard ways.
    String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort();
    Child gateway = startGateway(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, "OTEL_BSP_SCHEDULE_DELAY", "100",
        "OTEL_TRACES_EXPORTER", "none"));
    Child sidecar = startSidecar(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, "OTEL_BSP_SCHEDULE_DELAY", "100",
        "OTEL_SDK_DISABLED", "true"));
    exercise(gateway, sidecar);
    stop(gateway);
    stop(sidecar);
    assertEquals(0, exports.get(), "export requests received: " + spans);
  }

  /** A proxied request through the gateway (so it reports stats), with the sidecar registered. */
  private void exercise(Child gateway, Child sidecar) {
    Matcher m = GATEWAY_READY.matcher(gateway.await(GATEWAY_READY));
    assertTrue(m.find());
    String proxy = "http://127.0.0.1:" + m.group(1);
    Await.until("orders is routed", WAIT, () -> status(proxy + "/orders/x") == 200);
    Matcher a = SIDECAR_ADMIN.matcher(sidecar.await(SIDECAR_ADMIN));
    assertTrue(a.find());
    Await.until("the sidecar is registered", WAIT, () -> status(a.group(1) + "/healthz") == 200);
    // The stats reporter sends every second: wait for the batch with the request in it.
    Await.until("the gateway reported its stats", WAIT, () -> {
      long now = System.currentTimeMillis();
      try {
        return controlPlane.stats().window("orders", "v1", now - 60_000, now + 1_000).requests() > 0;
      } catch (dev.vertice.controlplane.store.StoreUnavailableException e) {
        throw new AssertionError(e);
      }
    });
  }

  private Child startGateway(Map<String, String> env) throws IOException {
    return start("gateway", env, "gateway", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "-1",
        "--admin-port", "0", "--stats", "true", "--control-plane", "127.0.0.1:" + server.port(),
        "--shutdown-grace", "1s");
  }

  private Child startSidecar(Map<String, String> env) throws IOException {
    return start("sidecar", env, "sidecar", "--service-name", "payments", "--port",
        Integer.toString(app.getAddress().getPort()), "--control-plane", "127.0.0.1:" + server.port(),
        "--api-port", "0", "--admin-port", "0", "--admin-host", "127.0.0.1", "--probe-interval", "200ms",
        "--probe-timeout", "200ms", "--drain-period", "1s", "--drain-settle", "100ms");
  }

  /** A child process and its log file. */
  record Child(Process process, Path log) {
    String await(Pattern p) {
      // Generous: a JVM's start takes long on a loaded machine.
      return Await.value("a line matching " + p + " in " + log, Duration.ofSeconds(90),
          () -> lines().stream().filter(l -> p.matcher(l).find()).findFirst().orElse(null));
    }

    List<String> lines() {
      try {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return List.of();
      }
    }
  }

  private Child start(String name, Map<String, String> otel, String... args) throws IOException {
    Path log = Files.createTempFile(tmp, name, ".log");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        "dev.vertice.launcher.Main"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OTEL_") || k.startsWith("VERTICE_"));
    pb.environment().putAll(otel);
    Process p = pb.start();
    processes.add(p);
    return new Child(p, log);
  }

  private static void stop(Child c) throws InterruptedException {
    c.process().destroy(); // SIGTERM: the shutdown hook drains, then flushes the spans
    assertTrue(c.process().waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
    assertEquals(0, c.process().exitValue(), String.join("\n", c.lines()));
  }

  private boolean has(String service, String name, int kind) {
    return spans.stream().anyMatch(s -> s.service().equals(service) && s.name().equals(name) && s.kind() == kind);
  }

  private int status(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * Decodes an OTLP {@code ExportTraceServiceRequest}: resource_spans = 1; in ResourceSpans
   * resource = 1, scope_spans = 2; in Resource attributes = 1 (KeyValue: key = 1, value = 2,
   * AnyValue.string_value = 1); in ScopeSpans spans = 2; in Span trace_id = 1, name = 5, kind = 6.
   */
  static List<Span> decode(byte[] body) throws IOException {
    List<Span> out = new ArrayList<>();
    UnknownFieldSet request = UnknownFieldSet.parseFrom(body);
    for (ByteString rs : lengthDelimited(request, 1)) {
      UnknownFieldSet resourceSpans = UnknownFieldSet.parseFrom(rs);
      String service = "";
      for (ByteString resource : lengthDelimited(resourceSpans, 1)) {
        for (ByteString kv : lengthDelimited(UnknownFieldSet.parseFrom(resource), 1)) {
          UnknownFieldSet keyValue = UnknownFieldSet.parseFrom(kv);
          if (string(keyValue, 1).equals("service.name")) {
            for (ByteString value : lengthDelimited(keyValue, 2)) {
              service = string(UnknownFieldSet.parseFrom(value), 1);
            }
          }
        }
      }
      for (ByteString ss : lengthDelimited(resourceSpans, 2)) {
        for (ByteString sp : lengthDelimited(UnknownFieldSet.parseFrom(ss), 2)) {
          UnknownFieldSet span = UnknownFieldSet.parseFrom(sp);
          List<Long> kind = span.hasField(6) ? span.getField(6).getVarintList() : List.of();
          ByteString traceId = lengthDelimited(span, 1).stream().findFirst().orElse(ByteString.EMPTY);
          out.add(new Span(service, string(span, 5), kind.isEmpty() ? 0 : kind.get(0).intValue(),
              HexFormat.of().formatHex(traceId.toByteArray())));
        }
      }
    }
    return out;
  }

  private static List<ByteString> lengthDelimited(UnknownFieldSet set, int field) {
    return set.hasField(field) ? set.getField(field).getLengthDelimitedList() : List.of();
  }

  private static String string(UnknownFieldSet set, int field) {
    List<ByteString> v = lengthDelimited(set, field);
    return v.isEmpty() ? "" : v.get(0).toStringUtf8();
  }
}
