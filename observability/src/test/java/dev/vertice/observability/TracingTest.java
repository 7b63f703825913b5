package dev.vertice.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TracingTest {

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    sdk.close();
  }

  @Test
  void aCallHasAClientAndAServerSpanInOneTrace() throws Exception {
    Tracing tracing = Tracing.of(sdk);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(),
            tracing.serverInterceptor()))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    HealthGrpc.newBlockingStub(ClientInterceptors.intercept(channel, tracing.clientInterceptor()))
        .check(HealthCheckRequest.getDefaultInstance());

    List<SpanData> finished = spans.getFinishedSpanItems();
    assertEquals(2, finished.size(), finished.toString());
    SpanData client = finished.stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
    SpanData serverSpan = finished.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    assertEquals("grpc.health.v1.Health/Check", client.getName());
    assertEquals(client.getTraceId(), serverSpan.getTraceId());
    assertEquals(client.getSpanId(), serverSpan.getParentSpanId());
  }

  @Test
  void onlyAConfiguredExporterTurnsTracingOn() {
    assertFalse(Tracing.enabled(Map.of()));
    assertFalse(Tracing.enabled(Map.of("OTEL_SERVICE_NAME", "x")));
    assertTrue(Tracing.enabled(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger:4317")));
    assertTrue(Tracing.enabled(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://jaeger:4318/v1/traces")));
    assertTrue(Tracing.enabled(Map.of("OTEL_TRACES_EXPORTER", "otlp")));
    assertFalse(Tracing.enabled(Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://j")));
    assertFalse(Tracing.enabled(Map.of("OTEL_SDK_DISABLED", "true", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://j")));
    assertFalse(Tracing.off().enabled());
    // Outside any configuration the process environment of the test run turns nothing on.
    try (Tracing t = Tracing.fromEnvironment("test")) {
      assertEquals(Tracing.enabled(System.getenv()), t.enabled());
    }
  }
}
