package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.gateway.grpc.GrpcProxyServer;
import dev.vertice.testkit.Await;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** gRPC through the gateway against a real grpc-java upstream: unary, bidi, metadata, trailers, status. */
class GrpcProxyTest {

  static final MethodDescriptor.Marshaller<String> STRING = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  static final MethodDescriptor<String, String> UNARY = method("Unary", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<String, String> BIDI = method("Bidi", MethodDescriptor.MethodType.BIDI_STREAMING);
  static final MethodDescriptor<String, String> FAIL = method("Fail", MethodDescriptor.MethodType.UNARY);

  static final Metadata.Key<String> X_TEST = Metadata.Key.of("x-test", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> X_ECHOED = Metadata.Key.of("x-echoed", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> X_TRAILER = Metadata.Key.of("x-trailer", Metadata.ASCII_STRING_MARSHALLER);

  private static MethodDescriptor<String, String> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<String, String>newBuilder().setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", name))
        .setRequestMarshaller(STRING).setResponseMarshaller(STRING).build();
  }

  private ControlPlaneFixture cp;
  private Gateway gateway;
  private Server upstream;
  private ManagedChannel channel;
  private final io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
    ServerServiceDefinition def = ServerServiceDefinition.builder("test.Echo")
        .addMethod(UNARY, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
          out.onNext("echo:" + req);
          out.onCompleted();
        }))
        .addMethod(BIDI, ServerCalls.asyncBidiStreamingCall(out -> new StreamObserver<String>() {
          @Override
          public void onNext(String value) {
            out.onNext("bidi:" + value);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            out.onCompleted();
          }
        }))
        .addMethod(FAIL, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
          Metadata trailers = new Metadata();
          trailers.put(X_TRAILER, "failed-" + req);
          out.onError(Status.PERMISSION_DENIED.withDescription("not for you").asRuntimeException(trailers));
        }))
        .build();
    upstream = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(def, new io.grpc.ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
              ServerCallHandler<Q, R> next) {
            String test = headers.get(X_TEST);
            return next.startCall(new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
              @Override
              public void sendHeaders(Metadata h) {
                if (test != null) {
                  h.put(X_ECHOED, test);
                }
                super.sendHeaders(h);
              }

              @Override
              public void close(Status status, Metadata trailers) {
                if (test != null && trailers.get(X_TRAILER) == null) {
                  trailers.put(X_TRAILER, "done-" + test);
                }
                super.close(status, trailers);
              }
            }, headers);
          }
        }))
        .build().start();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(0).build())
        .controlPlane(cp.address()).meterRegistry(meters).start();
    cp.register("echo", "g1", upstream.getPort(), "v1", 100, Protocol.PROTOCOL_GRPC);
    Await.until("grpc route", () -> gateway.routingState().table().grpc().containsKey("echo")
        && gateway.routingState().table().grpc().get("echo").hasInstances());
    // The authority names the service.
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort()).overrideAuthority("echo")
        .usePlaintext().build();
  }

  @AfterEach
  void tearDown() throws Exception {
    channel.shutdownNow();
    gateway.close();
    upstream.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    cp.close();
  }

  @Test
  void unaryCallPassesWithMetadataAndTrailers() {
    Metadata headers = new Metadata();
    headers.put(X_TEST, "hello");
    AtomicReference<Metadata> gotHeaders = new AtomicReference<>();
    AtomicReference<Metadata> gotTrailers = new AtomicReference<>();
    io.grpc.Channel ch = io.grpc.ClientInterceptors.intercept(channel,
        MetadataUtils.newAttachHeadersInterceptor(headers),
        MetadataUtils.newCaptureMetadataInterceptor(gotHeaders, gotTrailers));
    String reply = ClientCalls.blockingUnaryCall(ch, UNARY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
        "ping");
    assertEquals("echo:ping", reply);
    assertEquals("hello", gotHeaders.get().get(X_ECHOED));
    assertEquals("done-hello", gotTrailers.get().get(X_TRAILER));
  }

  @Test
  void errorStatusAndItsTrailersPassUnchanged() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        channel, FAIL, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "x"));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals("not for you", e.getStatus().getDescription());
    assertEquals("failed-x", e.getTrailers().get(X_TRAILER));
  }

  @Test
  void bidiStreamingPassesEveryMessageBothWays() throws Exception {
    ClientCall<String, String> call = channel.newCall(BIDI, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
    CountDownLatch closed = new CountDownLatch(1);
    AtomicReference<Status> status = new AtomicReference<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(String message) {
        received.add(message);
        call.request(1);
      }

      @Override
      public void onClose(Status s, Metadata trailers) {
        status.set(s);
        closed.countDown();
      }
    }, new Metadata());
    call.request(1);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      call.sendMessage("m" + i);
      expected.add("bidi:m" + i);
      if (i == 0) {
        // Interleaved: the first answer arrives before the client finishes sending.
        assertEquals("bidi:m0", received.poll(10, TimeUnit.SECONDS));
      }
    }
    call.halfClose();
    assertTrue(closed.await(10, TimeUnit.SECONDS));
    assertEquals(Status.Code.OK, status.get().getCode());
    List<String> all = new ArrayList<>();
    all.add("bidi:m0");
    received.drainTo(all);
    assertEquals(expected, all);
  }

  @Test
  void callsAreCountedByStatusClassAndVersionButUnknownServicesAreNot() {
    ClientCalls.blockingUnaryCall(channel, UNARY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "a");
    assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        channel, FAIL, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "x"));
    ManagedChannel other = NettyChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort()).overrideAuthority("nope")
        .usePlaintext().build();
    try {
      assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
          other, UNARY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "x"));
    } finally {
      other.shutdownNow();
    }
    // OK → 2xx; PERMISSION_DENIED (the caller's error) → 4xx; counted right after the call closes.
    Await.until("both calls are counted", () -> count("2xx") == 1 && count("4xx") == 1);
    assertEquals(2, meters.get("vertice.gateway.upstream").tag("service", "echo").timer().count());
    assertEquals(null, meters.find("vertice.gateway.requests").tag("service", "nope").counter());
  }

  private double count(String codeClass) {
    io.micrometer.core.instrument.Counter c = meters.find("vertice.gateway.requests")
        .tags("service", "echo", "version", "v1", "code_class", codeClass).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void unknownServiceIsNotFound() {
    ManagedChannel other = NettyChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort()).overrideAuthority("nope")
        .usePlaintext().build();
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
          other, UNARY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "x"));
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    } finally {
      other.shutdownNow();
    }
  }

  @Test
  void serviceHeaderOverridesTheAuthority() {
    ManagedChannel other = NettyChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort()).usePlaintext().build();
    try {
      Metadata h = new Metadata();
      h.put(GrpcProxyServer.SERVICE_HEADER, "ECHO");
      String reply = ClientCalls.blockingUnaryCall(io.grpc.ClientInterceptors.intercept(other,
          MetadataUtils.newAttachHeadersInterceptor(h)), UNARY,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hdr");
      assertEquals("echo:hdr", reply);
    } finally {
      other.shutdownNow();
    }
  }
}
