package dev.vertice.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.TestDeadlines;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCalls;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
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

  /** Serves {@code service} in process, SERVER spans on, and returns a stub whose calls have CLIENT spans. */
  private HealthGrpc.HealthBlockingStub serveTraced(ServerServiceDefinition service, Tracing tracing)
      throws IOException {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(service, tracing.serverInterceptor())).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return HealthGrpc.newBlockingStub(ClientInterceptors.intercept(channel, tracing.clientInterceptor()))
        .withInterceptors(TestDeadlines.grpc());
  }

  @Test
  void aCallHasAClientAndAServerSpanInOneTrace() throws Exception {
    serveTraced(new HealthStatusManager().getHealthService().bindService(), Tracing.of(sdk))
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
  void theServerSpanIsCurrentInTheHandlerAndBothSpansCarryTheStatus() throws Exception {
    Tracing tracing = Tracing.of(sdk);
    AtomicReference<SpanContext> inHandler = new AtomicReference<>();
    ServerServiceDefinition failing = ServerServiceDefinition.builder(HealthGrpc.SERVICE_NAME)
        .addMethod(HealthGrpc.getCheckMethod(), ServerCalls.<HealthCheckRequest, HealthCheckResponse>asyncUnaryCall(
            (request, responses) -> {
              inHandler.set(Span.current().getSpanContext());
              responses.onError(Status.INTERNAL.withDescription("broken").asRuntimeException());
            }))
        .build();
    HealthGrpc.HealthBlockingStub stub = serveTraced(failing, tracing);
    Span outer = sdk.getTracer("test").spanBuilder("outer").startSpan();
    StatusRuntimeException thrown;
    Scope scope = outer.makeCurrent();
    try {
      thrown = assertThrows(StatusRuntimeException.class, () -> stub.check(HealthCheckRequest.getDefaultInstance()));
    } finally {
      scope.close();
      outer.end();
    }
    assertEquals(Status.Code.INTERNAL, thrown.getStatus().getCode());

    List<SpanData> finished = spans.getFinishedSpanItems();
    assertEquals(3, finished.size(), finished.toString());
    SpanData client = finished.stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
    SpanData serverSpan = finished.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    assertEquals(outer.getSpanContext().getSpanId(), client.getParentSpanId(), "the client span is the caller's child");
    assertEquals(client.getSpanId(), serverSpan.getParentSpanId());
    assertEquals(serverSpan.getSpanId(), inHandler.get().getSpanId(), "the handler runs in the server span");
    for (SpanData s : List.of(client, serverSpan)) {
      assertEquals("grpc.health.v1.Health/Check", s.getName());
      assertEquals(StatusCode.ERROR, s.getStatus().getStatusCode(), s.toString());
      assertEquals(13L, s.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")));
      assertEquals("grpc", s.getAttributes().get(AttributeKey.stringKey("rpc.system")));
      assertEquals("grpc.health.v1.Health", s.getAttributes().get(AttributeKey.stringKey("rpc.service")));
      assertEquals("Check", s.getAttributes().get(AttributeKey.stringKey("rpc.method")));
    }
  }

  @Test
  void aClientErrorIsNotTheServerSpansError() throws Exception {
    HealthGrpc.HealthBlockingStub stub =
        serveTraced(new HealthStatusManager().getHealthService().bindService(), Tracing.of(sdk));
    StatusRuntimeException thrown = assertThrows(StatusRuntimeException.class,
        () -> stub.check(HealthCheckRequest.newBuilder().setService("no-such-service").build()));
    assertEquals(Status.Code.NOT_FOUND, thrown.getStatus().getCode());
    List<SpanData> finished = spans.getFinishedSpanItems();
    assertEquals(2, finished.size(), finished.toString());
    SpanData client = finished.stream().filter(s -> s.getKind() == SpanKind.CLIENT).findFirst().orElseThrow();
    SpanData serverSpan = finished.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
    assertEquals(StatusCode.ERROR, client.getStatus().getStatusCode());
    assertEquals(StatusCode.UNSET, serverSpan.getStatus().getStatusCode(), "NOT_FOUND is the caller's error");
    assertEquals(5L, serverSpan.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")));
  }

  @Test
  void noGrpcContextStorageOverrideIsOnTheClassPath() {
    // gRPC loads this class by name when present; OpenTelemetry's gRPC instrumentation jar ships one, and
    // with it every gRPC context attach builds an OpenTelemetry context, traced or not (RpcSpans).
    assertThrows(ClassNotFoundException.class, () -> Class.forName("io.grpc.override.ContextStorageOverride"));
  }

  @Test
  void closeWaitsForTheSpanOfACallWhoseEndIsBeingDelivered() throws Exception {
    // Not the in-memory exporter: its shutdown forgets what it got.
    List<String> exported = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.opentelemetry.sdk.trace.export.SpanExporter collect = new io.opentelemetry.sdk.trace.export.SpanExporter() {
      @Override
      public io.opentelemetry.sdk.common.CompletableResultCode export(java.util.Collection<SpanData> spans) {
        spans.forEach(sd -> exported.add(sd.getName()));
        return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
      }

      @Override
      public io.opentelemetry.sdk.common.CompletableResultCode flush() {
        return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
      }

      @Override
      public io.opentelemetry.sdk.common.CompletableResultCode shutdown() {
        return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
      }
    };
    OpenTelemetrySdk owned = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(collect)).build()).build();
    Tracing tracing = Tracing.owning(owned);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(new HealthStatusManager().getHealthService())
        .build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    CountDownLatch inOnClose = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Channel traced = ClientInterceptors.intercept(channel, tracing.clientInterceptor());
    ClientCall<HealthCheckRequest, HealthCheckResponse> call = traced.newCall(HealthGrpc.getCheckMethod(),
        CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        // The caller hears of the end (and would stop the process now); the span ends after it returns.
        inOnClose.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }, new Metadata());
    call.sendMessage(HealthCheckRequest.getDefaultInstance());
    call.halfClose();
    call.request(1);
    assertTrue(inOnClose.await(10, TimeUnit.SECONDS));
    Thread closer = new Thread(tracing::close, "closer");
    closer.start();
    dev.vertice.testkit.Await.until("close() waits for the call's end to be delivered",
        () -> closer.getState() == Thread.State.TIMED_WAITING);
    assertTrue(closer.isAlive());
    release.countDown();
    closer.join(10_000);
    assertFalse(closer.isAlive(), "close() returned");
    assertEquals(List.of("grpc.health.v1.Health/Check"), exported, "the span was exported, not dropped");
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
