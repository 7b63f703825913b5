package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.testkit.Await;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * gRPC method paths get the gateway's target rules too: a {@code :path} that is not
 * {@code /<service>/<method>} in visible ASCII is answered INVALID_ARGUMENT and never reaches the
 * upstream (a grpc-java server that records every method name it is asked for).
 */
@Timeout(120)
class GrpcMethodPathTest {

  private ControlPlaneFixture cp;
  private Gateway gateway;
  private Server upstream;
  private final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
    upstream = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .fallbackHandlerRegistry(new HandlerRegistry() {
          @Override
          public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
            seen.add(methodName);
            MethodDescriptor<byte[], byte[]> m = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.BIDI_STREAMING).setFullMethodName(methodName)
                .setRequestMarshaller(Bytes.INSTANCE).setResponseMarshaller(Bytes.INSTANCE).build();
            return ServerMethodDefinition.create(m, (ServerCall<byte[], byte[]> call, Metadata h) -> {
              call.request(Integer.MAX_VALUE);
              return new ServerCall.Listener<byte[]>() {
                @Override
                public void onHalfClose() {
                  call.sendHeaders(new Metadata());
                  call.close(Status.OK, new Metadata());
                }
              };
            });
          }
        })
        .build().start();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(0).build())
        .controlPlane(cp.address()).start();
    cp.register("echo", "g1", upstream.getPort(), "v1", 100, Protocol.PROTOCOL_GRPC);
    Await.until("grpc route", () -> gateway.routingState().table().grpc().containsKey("echo")
        && gateway.routingState().table().grpc().get("echo").hasInstances());
  }

  @AfterEach
  void tearDown() throws Exception {
    gateway.close();
    upstream.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    cp.close();
  }

  static Stream<String> badPaths() {
    return Stream.of(
        new String("/test.Echo/caf\u00e9".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1),
        "/test.Echo/a\u0001b",
        "/test.Echo/a\u007f",
        "/test.Echo/%zz",
        "/test.Echo",
        "/test.Echo/Unary/extra",
        "//Unary",
        "/test.Echo/");
  }

  private static Http2Headers grpcRequest(String path) {
    Http2Headers h = H2Client.request("POST", "http", path);
    h.authority("echo");
    h.set("content-type", "application/grpc");
    h.set("te", "trailers");
    return h;
  }

  /** One empty gRPC message: the 5-byte frame prefix. */
  private static final String EMPTY_MESSAGE = "\0\0\0\0\0";

  @ParameterizedTest(name = "{index}: {0}")
  @MethodSource("badPaths")
  void malformedMethodPathIsRefusedAndNeverForwarded(String path) throws Exception {
    try (H2Client client = H2Client.h2c(gateway.grpcPort())) {
      H2Client.Response r = client.send(grpcRequest(path), EMPTY_MESSAGE);
      assertEquals(String.valueOf(Status.Code.INVALID_ARGUMENT.value()), r.grpcStatus(), r.toString());
      assertTrue(r.headers().get("grpc-message").toString().contains("malformed method path"), r.toString());
      // The connection is still good: a well-formed call on it goes through.
      assertEquals("0", client.send(grpcRequest("/test.Echo/Unary"), EMPTY_MESSAGE).grpcStatus());
    }
    assertEquals(java.util.List.of("test.Echo/Unary"), java.util.List.copyOf(seen),
        "the upstream was asked only for the well-formed call");
  }

  @Test
  void wellFormedMethodPathIsForwarded() throws Exception {
    try (H2Client client = H2Client.h2c(gateway.grpcPort())) {
      H2Client.Response r = client.send(grpcRequest("/test.Echo/Unary"), EMPTY_MESSAGE);
      assertEquals(200, r.status(), r.toString());
      assertEquals("0", r.grpcStatus(), r.toString());
    }
    assertEquals(java.util.List.of("test.Echo/Unary"), java.util.List.copyOf(seen));
  }

  private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public java.io.InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(java.io.InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
}
