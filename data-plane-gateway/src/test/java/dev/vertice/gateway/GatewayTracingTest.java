package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vertice.gateway.routing.ServiceRoute;
import dev.vertice.observability.Tracing;
import dev.vertice.testkit.Await;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway's SERVER span per request and W3C trace context propagation to a real upstream. */
class GatewayTracingTest {

  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT_ID = "00f067aa0ba902b7";

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private ControlPlaneFixture cp;
  private Gateway gateway;
  private Upstream upstream;

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
  }

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    cp.close();
    sdk.close();
  }

  private void start(Tracing tracing) throws Exception {
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .controlPlane(cp.address()).tracing(tracing).start();
    upstream = new Upstream("echo-1");
    cp.register("echo", "echo-1", upstream.port(), "v1", 100, dev.vertice.api.registry.v1.Protocol.PROTOCOL_HTTP);
    Await.until("echo is routed", () -> {
      ServiceRoute r = gateway.routingState().table().http().get("echo");
      return r != null && r.hasInstances();
    });
  }

  private int get(String path, String traceparent) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
        .timeout(Duration.ofSeconds(10));
    if (traceparent != null) {
      b.header("traceparent", traceparent);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private SpanData onlySpan() {
    Await.until("the gateway span is exported", () -> !spans.getFinishedSpanItems().isEmpty());
    List<SpanData> all = spans.getFinishedSpanItems();
    assertEquals(1, all.size(), all.toString());
    return all.get(0);
  }

  @Test
  void incomingTraceparentIsContinuedAndTheUpstreamSeesTheGatewaySpanAsParent() throws Exception {
    start(Tracing.of(sdk));
    assertEquals(200, get("/echo/hello", "00-" + TRACE_ID + "-" + PARENT_ID + "-01"));

    SpanData span = onlySpan();
    assertEquals(SpanKind.SERVER, span.getKind());
    assertEquals("GET /echo", span.getName());
    assertEquals(TRACE_ID, span.getTraceId());
    assertEquals(PARENT_ID, span.getParentSpanId());
    assertEquals("GET", span.getAttributes().get(AttributeKey.stringKey("http.request.method")));
    assertEquals("echo", span.getAttributes().get(AttributeKey.stringKey("vertice.service")));
    assertEquals(200L, span.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
    assertEquals(StatusCode.UNSET, span.getStatus().getStatusCode());

    String seen = upstream.seen.peek().header("traceparent");
    assertEquals("00-" + TRACE_ID + "-" + span.getSpanId() + "-01", seen);
  }

  @Test
  void withoutTraceparentTheGatewayStartsTheTrace() throws Exception {
    start(Tracing.of(sdk));
    assertEquals(200, get("/echo/x", null));

    SpanData span = onlySpan();
    assertFalse(span.getParentSpanContext().isValid());
    assertNotEquals("00000000000000000000000000000000", span.getTraceId());
    // The flags are the span's own: sampled, plus "random trace id" (W3C level 2) for a new trace.
    String flags = span.getSpanContext().getTraceFlags().asHex();
    assertEquals("00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + flags,
        upstream.seen.peek().header("traceparent"));
  }

  @Test
  void gatewayErrorsEndTheSpanAsAnError() throws Exception {
    start(Tracing.of(sdk));
    upstream.status = 503;
    assertEquals(503, get("/echo/x", null));
    Await.until("spans exported", () -> !spans.getFinishedSpanItems().isEmpty());
    SpanData last = spans.getFinishedSpanItems().get(spans.getFinishedSpanItems().size() - 1);
    assertEquals(StatusCode.ERROR, last.getStatus().getStatusCode());
    assertEquals(503L, last.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
  }

  @Test
  void offByDefaultTheIncomingTraceparentPassesThroughUntouched() throws Exception {
    start(Tracing.off());
    String incoming = "00-" + TRACE_ID + "-" + PARENT_ID + "-01";
    assertEquals(200, get("/echo/x", incoming));
    assertEquals(incoming, upstream.seen.peek().header("traceparent"));
    assertEquals(200, get("/echo/y", null));
    Upstream.Seen second = upstream.seen.stream().filter(s -> s.uri().endsWith("/y")).findFirst().orElse(null);
    assertNotNull(second);
    assertNull(second.header("traceparent"));
    assertEquals(0, spans.getFinishedSpanItems().size());
  }
}
