package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.observability.Tracing;
import dev.vertice.testkit.Await;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A gRPC call through the gateway is one trace: caller CLIENT, gateway SERVER and CLIENT, upstream SERVER. */
class GrpcProxyTracingTest {

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  private ControlPlaneFixture cp;
  private Gateway gateway;
  private Server upstream;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (upstream != null) {
      upstream.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (cp != null) {
      cp.close();
    }
    sdk.close();
  }

  private SpanData span(SpanKind kind, int index) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == kind).toList().get(index);
  }

  @Test
  void aProxiedUnaryCallKeepsOneTraceAcrossFourSpans() throws Exception {
    Tracing tracing = Tracing.of(sdk);
    cp = ControlPlaneFixture.start();
    ServerServiceDefinition def = ServerServiceDefinition.builder("test.Echo")
        .addMethod(GrpcProxyTest.UNARY, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
          out.onNext("echo:" + req);
          out.onCompleted();
        }))
        .build();
    upstream = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(def)
        .intercept(tracing.serverInterceptor()).build().start();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(0).build())
        .controlPlane(cp.address()).tracing(tracing).start();
    cp.register("echo", "g1", upstream.getPort(), "v1", 100, Protocol.PROTOCOL_GRPC);
    Await.until("grpc route", () -> gateway.routingState().table().grpc().containsKey("echo")
        && gateway.routingState().table().grpc().get("echo").hasInstances());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort()).overrideAuthority("echo")
        .usePlaintext().intercept(tracing.clientInterceptor()).build();

    assertEquals("echo:ping", ClientCalls.blockingUnaryCall(channel, GrpcProxyTest.UNARY,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "ping"));

    Await.until("four spans", () -> spans.getFinishedSpanItems().size() >= 4);
    List<SpanData> all = spans.getFinishedSpanItems();
    assertEquals(4, all.size(), all.toString());
    // In start order: caller CLIENT, gateway SERVER, gateway CLIENT, upstream SERVER.
    SpanData caller = span(SpanKind.CLIENT, 0).getParentSpanContext().isValid()
        ? span(SpanKind.CLIENT, 1) : span(SpanKind.CLIENT, 0);
    SpanData gatewayClient = caller == span(SpanKind.CLIENT, 0) ? span(SpanKind.CLIENT, 1) : span(SpanKind.CLIENT, 0);
    SpanData gatewayServer = all.stream().filter(s -> s.getKind() == SpanKind.SERVER
        && s.getParentSpanId().equals(caller.getSpanId())).findFirst().orElseThrow();
    SpanData upstreamServer = all.stream().filter(s -> s.getKind() == SpanKind.SERVER
        && s.getParentSpanId().equals(gatewayClient.getSpanId())).findFirst().orElseThrow();
    for (SpanData s : all) {
      assertEquals(caller.getTraceId(), s.getTraceId(), s.toString());
    }
    assertEquals(gatewayServer.getSpanId(), gatewayClient.getParentSpanId());
    assertEquals("test.Echo/Unary", upstreamServer.getName());
  }
}
