package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.testkit.Await;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the gRPC relay enforces itself, against a real grpc-java instance: the client's deadline,
 * the message size limit both ways, end-to-end flow control (without one stalled call stopping the
 * others), cancellation both ways, an unreachable or unresolvable instance, and requests that are
 * not gRPC calls.
 */
@Timeout(120)
class GrpcRelayTest {

  private static final int MAX_MESSAGE = 8192;
  private static final int FLOOD_MESSAGE = 1024;
  private static final int FLOOD_MESSAGES = 32 * 1024; // 32 MiB in all
  private static final CallOptions TEN_SECONDS = CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Relay", name))
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
  }

  static final MethodDescriptor<byte[], byte[]> ECHO = method("Echo", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> BIG = method("Big", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> HANG = method("Hang", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> FLOOD = method("Flood", MethodDescriptor.MethodType.SERVER_STREAMING);

  private ControlPlaneFixture cp;
  private Gateway gateway;
  private Server upstream;
  private ManagedChannel channel;
  private final AtomicInteger upstreamCalls = new AtomicInteger();
  private final CountDownLatch hangCancelled = new CountDownLatch(1);
  private final AtomicInteger floodSent = new AtomicInteger();
  private final AtomicInteger floodPauses = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
    ServerServiceDefinition def = ServerServiceDefinition.builder("test.Relay")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((byte[] req, io.grpc.stub.StreamObserver<byte[]> out) -> {
          out.onNext(req);
          out.onCompleted();
        }))
        .addMethod(BIG, ServerCalls.asyncUnaryCall((byte[] req, io.grpc.stub.StreamObserver<byte[]> out) -> {
          out.onNext(new byte[MAX_MESSAGE + 1]);
          out.onCompleted();
        }))
        .addMethod(HANG, ServerCalls.asyncUnaryCall((byte[] req, io.grpc.stub.StreamObserver<byte[]> out) ->
            ((ServerCallStreamObserver<byte[]>) out).setOnCancelHandler(hangCancelled::countDown)))
        .addMethod(FLOOD, ServerCalls.asyncServerStreamingCall((byte[] req, io.grpc.stub.StreamObserver<byte[]> o) -> {
          ServerCallStreamObserver<byte[]> out = (ServerCallStreamObserver<byte[]>) o;
          byte[] message = new byte[FLOOD_MESSAGE];
          out.setOnReadyHandler(() -> {
            while (out.isReady() && floodSent.get() < FLOOD_MESSAGES) {
              out.onNext(message);
              floodSent.incrementAndGet();
            }
            if (floodSent.get() < FLOOD_MESSAGES) {
              floodPauses.incrementAndGet();
            } else {
              out.onCompleted();
            }
          });
        }))
        .build();
    ServerInterceptor counting = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        upstreamCalls.incrementAndGet();
        return next.startCall(call, headers);
      }
    };
    upstream = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(def, counting)).build().start();
    // One event loop: every client connection shares it, and its one connection to the instance.
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(0)
            .maxBodyBytes(MAX_MESSAGE).connectTimeout(Duration.ofSeconds(2)).build())
        .controlPlane(cp.address()).threads(1).start();
    cp.register("relay", "r1", upstream.getPort(), "v1", 100, Protocol.PROTOCOL_GRPC);
    awaitGrpcRoute("relay");
    channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort()).overrideAuthority("relay")
        .usePlaintext().build();
  }

  private void awaitGrpcRoute(String service) {
    Await.until("grpc route " + service, () -> gateway.routingState().table().grpc().containsKey(service)
        && gateway.routingState().table().grpc().get(service).hasInstances());
  }

  @AfterEach
  void tearDown() throws Exception {
    channel.shutdownNow();
    gateway.close();
    upstream.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    cp.close();
  }

  private static Http2Headers grpcRequest(String path) {
    Http2Headers h = H2Client.request("POST", "http", path);
    h.authority("relay");
    h.set("content-type", "application/grpc");
    h.set("te", "trailers");
    return h;
  }

  /** One gRPC message of a few bytes: the 5-byte prefix and "ab". */
  private static final String SMALL_MESSAGE = "\0\0\0\0\2ab";

  @Test
  void theGatewayEndsACallAtItsGrpcTimeoutAndCancelsItUpstream() throws Exception {
    Http2Headers h = grpcRequest("/test.Relay/Hang");
    h.set("grpc-timeout", "300m");
    try (H2Client client = H2Client.h2c(gateway.grpcPort())) { // a client that does not enforce deadlines
      H2Client.Response r = client.send(h, SMALL_MESSAGE);
      assertEquals(String.valueOf(Status.Code.DEADLINE_EXCEEDED.value()), r.grpcStatus(), r.toString());
    }
    assertTrue(hangCancelled.await(10, TimeUnit.SECONDS), "the instance's call was cancelled");
    Await.until("no call in flight", () -> gateway.grpcProxy().inFlight() == 0);
  }

  @Test
  void aConnectionWithoutCallsIsClosedWithGoAwayAfterTheIdleTimeout() throws Exception {
    try (Gateway idling = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(0)
            .idleTimeout(Duration.ofSeconds(1)).build())
        .controlPlane(cp.address()).threads(1).start()) {
      Await.until("grpc route relay", () -> idling.routingState().table().grpc().containsKey("relay")
          && idling.routingState().table().grpc().get("relay").hasInstances());
      try (H2Client client = H2Client.h2c(idling.grpcPort())) {
        // A call open for longer than the idle timeout keeps the connection: only time without a call counts.
        Http2Headers h = grpcRequest("/test.Relay/Hang");
        h.set("grpc-timeout", "2500m");
        H2Client.Response r = client.send(h, SMALL_MESSAGE);
        assertEquals(String.valueOf(Status.Code.DEADLINE_EXCEEDED.value()), r.grpcStatus(), r.toString());
        assertFalse(client.goAway().isDone(), "no GOAWAY while a call was in flight");
        assertEquals(0L, client.goAway().get(10, TimeUnit.SECONDS), "GOAWAY with NO_ERROR once idle");
        Await.until("the gateway closed the idle connection", () -> !client.isOpen());
      }
    }
  }

  @Test
  void aMalformedGrpcTimeoutIsRefusedAndNeverForwarded() throws Exception {
    Http2Headers h = grpcRequest("/test.Relay/Echo");
    h.set("grpc-timeout", "1.5S");
    try (H2Client client = H2Client.h2c(gateway.grpcPort())) {
      H2Client.Response r = client.send(h, SMALL_MESSAGE);
      assertEquals(String.valueOf(Status.Code.INVALID_ARGUMENT.value()), r.grpcStatus(), r.toString());
      assertTrue(r.headers().get("grpc-message").toString().contains("grpc-timeout"), r.toString());
      assertEquals("0", client.send(grpcRequest("/test.Relay/Echo"), SMALL_MESSAGE).grpcStatus());
    }
    assertEquals(1, upstreamCalls.get(), "only the well-formed call reached the instance");
  }

  @Test
  void requestsThatAreNotGrpcCallsGetHttpErrors() throws Exception {
    try (H2Client client = H2Client.h2c(gateway.grpcPort())) {
      Http2Headers get = H2Client.request("GET", "http", "/test.Relay/Echo");
      get.authority("relay");
      assertEquals(405, client.send(get, null).status());
      Http2Headers text = grpcRequest("/test.Relay/Echo");
      text.set("content-type", "text/plain");
      assertEquals(415, client.send(text, "hello").status());
      Http2Headers proto = grpcRequest("/test.Relay/Echo");
      proto.set("content-type", "application/grpc+proto");
      assertEquals("0", client.send(proto, SMALL_MESSAGE).grpcStatus());
    }
    assertEquals(1, upstreamCalls.get());
  }

  @Test
  void aClientThatPingsTooOftenIsToldToCalmDownAndClosed() throws Exception {
    try (H2Client client = H2Client.h2c(gateway.grpcPort())) {
      for (int i = 0; i <= 2; i++) { // two early PINGs are forgiven, as grpc-java's server forgives them
        client.ping(i);
      }
      assertEquals(Http2Error.ENHANCE_YOUR_CALM.code(), client.goAway().get(10, TimeUnit.SECONDS));
      Await.until("the connection closed", () -> !client.isOpen());
    }
  }

  @Test
  void pingsBetweenAnswersAreWelcome() throws Exception {
    try (H2Client client = H2Client.h2c(gateway.grpcPort())) {
      for (int i = 0; i < 5; i++) { // like a client's BDP pings: each after data it received
        client.ping(2 * i);
        client.ping(2 * i + 1);
        assertEquals("0", client.send(grpcRequest("/test.Relay/Echo"), SMALL_MESSAGE).grpcStatus());
      }
      assertTrue(client.isOpen());
      assertFalse(client.goAway().isDone(), "no GOAWAY");
    }
  }

  @Test
  void aMessageOverTheLimitEndsTheCallEitherWay() {
    byte[] fits = new byte[MAX_MESSAGE];
    assertEquals(MAX_MESSAGE, ClientCalls.blockingUnaryCall(channel, ECHO, TEN_SECONDS, fits).length);
    StatusRuntimeException request = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, ECHO, TEN_SECONDS, new byte[MAX_MESSAGE + 1]));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, request.getStatus().getCode(), request.toString());
    StatusRuntimeException response = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, BIG, TEN_SECONDS, new byte[1]));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, response.getStatus().getCode(), response.toString());
    Await.until("no call in flight", () -> gateway.grpcProxy().inFlight() == 0);
  }

  @Test
  void anInstanceNobodyListensOnIsUnavailable() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    cp.register("gone", "g1", closedPort, "v1", 100, Protocol.PROTOCOL_GRPC);
    assertACallIsUnavailable("gone");
  }

  /** Calls {@code service} through the gateway: UNAVAILABLE, and nothing left in flight. */
  private void assertACallIsUnavailable(String service) {
    awaitGrpcRoute(service);
    ManagedChannel other = NettyChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort()).overrideAuthority(service)
        .usePlaintext().build();
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> ClientCalls.blockingUnaryCall(other, ECHO, TEN_SECONDS, new byte[1]));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    } finally {
      other.shutdownNow();
    }
    Await.until("no call in flight", () -> gateway.grpcProxy().inFlight() == 0);
  }

  @Test
  void aClientsCancelReachesTheInstance() throws Exception {
    ClientCall<byte[], byte[]> call = channel.newCall(HANG, TEN_SECONDS);
    CountDownLatch closed = new CountDownLatch(1);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.countDown();
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(new byte[1]);
    call.halfClose();
    Await.until("the instance has the call", () -> upstreamCalls.get() == 1);
    call.cancel("the test cancels", null);
    assertTrue(closed.await(10, TimeUnit.SECONDS));
    assertTrue(hangCancelled.await(10, TimeUnit.SECONDS), "the instance's call was cancelled");
    Await.until("no call in flight", () -> gateway.grpcProxy().inFlight() == 0);
  }

  @Test
  void aClientThatDoesNotReadStopsTheInstanceAfterTheWindows() throws Exception {
    // A fixed window: grpc-java would otherwise widen it as data comes in fast.
    ManagedChannel fixedWindow = NettyChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort())
        .overrideAuthority("relay").usePlaintext().flowControlWindow(65_535).build();
    try {
      holdsTheInstanceBack(fixedWindow);
    } finally {
      fixedWindow.shutdownNow();
    }
  }

  private void holdsTheInstanceBack(ManagedChannel channel) throws Exception {
    ClientCall<byte[], byte[]> call = channel.newCall(FLOOD, TEN_SECONDS);
    AtomicInteger received = new AtomicInteger();
    AtomicReference<Status> status = new AtomicReference<>();
    CountDownLatch closed = new CountDownLatch(1);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        received.incrementAndGet();
      }

      @Override
      public void onClose(Status s, Metadata trailers) {
        status.set(s);
        closed.countDown();
      }
    }, new Metadata());
    call.sendMessage(new byte[1]);
    call.halfClose(); // and no request(): the client reads nothing yet
    Await.until("the instance is held back", () -> floodPauses.get() > 0);
    int sent = floodSent.get();
    // The client's window, the gateway's 1 MiB window towards the instance, and the instance's own
    // buffer: a few MiB at most of the 32 MiB the instance wants to send.
    assertTrue((long) sent * FLOOD_MESSAGE < 8L << 20, "sent " + sent + " KiB before being held back");
    assertEquals(0, received.get());

    call.request(Integer.MAX_VALUE);
    assertTrue(closed.await(60, TimeUnit.SECONDS));
    assertEquals(Status.Code.OK, status.get().getCode(), status.get().toString());
    assertEquals(FLOOD_MESSAGES, received.get());
  }
  @Test
  void aClientThatDoesNotReadDoesNotHoldUpOtherCallsToTheSameInstance() throws Exception {
    ManagedChannel stalled = NettyChannelBuilder.forAddress("127.0.0.1", gateway.grpcPort())
        .overrideAuthority("relay").usePlaintext().flowControlWindow(65_535).build();
    try {
      ClientCall<byte[], byte[]> flood = stalled.newCall(FLOOD, CallOptions.DEFAULT.withDeadlineAfter(60,
          TimeUnit.SECONDS));
      flood.start(new ClientCall.Listener<>() {}, new Metadata());
      flood.sendMessage(new byte[1]);
      flood.halfClose(); // never reads: its stream's windows fill and stay full
      Await.until("the instance is held back", () -> floodPauses.get() > 0);
      // Another client, on the same event loop and the same connection to the instance.
      byte[] reply = ClientCalls.blockingUnaryCall(channel, ECHO, TEN_SECONDS, new byte[100]);
      assertEquals(100, reply.length);
      flood.cancel("done", null);
    } finally {
      stalled.shutdownNow();
    }
  }

  @Test
  void manyCancelsOnOneConnectionLeaveItsOtherCallsAlone() throws Exception {
    ClientCall<byte[], byte[]> longCall = channel.newCall(HANG, CallOptions.DEFAULT.withDeadlineAfter(100,
        TimeUnit.SECONDS));
    AtomicReference<Status> longStatus = new AtomicReference<>();
    longCall.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        longStatus.set(status);
      }
    }, new Metadata());
    longCall.sendMessage(new byte[1]);
    longCall.halfClose();
    Await.until("the long call reached the instance", () -> upstreamCalls.get() == 1);
    // More than Netty's default limit of 200 RST_STREAM frames in 30 s, which closes the connection.
    for (int i = 0; i < 300; i++) {
      int before = upstreamCalls.get();
      ClientCall<byte[], byte[]> c = channel.newCall(HANG, TEN_SECONDS);
      c.start(new ClientCall.Listener<>() {}, new Metadata());
      c.sendMessage(new byte[1]);
      c.halfClose();
      Await.until("call " + i + " reached the instance", () -> upstreamCalls.get() > before);
      c.cancel("the client gives up", null);
    }
    assertEquals(1, ClientCalls.blockingUnaryCall(channel, ECHO, TEN_SECONDS, new byte[1]).length);
    assertEquals(null, longStatus.get(), "the long call is still open");
    longCall.cancel("done", null);
  }

  @Test
  void anInstanceWhoseNameDoesNotResolveIsUnavailable() {
    cp.registerAt("nowhere", "n1", "no-such-host.invalid", 4242, "v1", 100, Protocol.PROTOCOL_GRPC);
    assertACallIsUnavailable("nowhere");
  }

  @Test
  void aGrpcPortInUseIsAClearError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      GatewayConfig config = GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(taken.getLocalPort()).build();
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> Gateway.builder(config).controlPlane(cp.address()).threads(1).start());
      assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
    }
  }
}
