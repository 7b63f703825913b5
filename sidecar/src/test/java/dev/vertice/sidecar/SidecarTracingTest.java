package dev.vertice.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.demo.DemoConfig;
import dev.vertice.demo.EchoHttpServer;
import dev.vertice.observability.Tracing;
import dev.vertice.testkit.Await;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A sidecar's control-plane calls traced end to end: CLIENT span in the sidecar, SERVER span in the control plane. */
class SidecarTracingTest {

  private static final String REGISTER = "vertice.registry.v1.RegistryService/Register";

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    sdk.close();
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  private Optional<SpanData> span(String name, SpanKind kind) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name) && s.getKind() == kind)
        .findFirst();
  }

  @Test
  void registerHasAClientSpanAndAServerSpanInOneTrace() throws Exception {
    Tracing tracing = Tracing.of(sdk);
    ControlPlane cp = ControlPlane.builder().build(); // the server stops it
    ControlPlaneServer server = new ControlPlaneServer(cp, "127.0.0.1", 0,
        ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES, List.of(tracing.serverInterceptor()));
    closeLater(() -> server.stop(Duration.ofMillis(500)));
    EchoHttpServer app = closeLater(EchoHttpServer.start(DemoConfig.custom().service("orders").build()));
    Sidecar sidecar = closeLater(Sidecar.builder(SidecarConfig.custom("orders", app.port())
        .controlPlane("127.0.0.1:" + server.port()).apiPort(0).build()).tracing(tracing).build());
    sidecar.start();

    Await.until("Register traced on both sides",
        () -> span(REGISTER, SpanKind.CLIENT).isPresent() && span(REGISTER, SpanKind.SERVER).isPresent());
    SpanData client = span(REGISTER, SpanKind.CLIENT).orElseThrow();
    SpanData server2 = span(REGISTER, SpanKind.SERVER).orElseThrow();
    assertEquals(client.getTraceId(), server2.getTraceId());
    assertEquals(client.getSpanId(), server2.getParentSpanId());
    assertTrue(client.getSpanContext().isValid());
  }
}
