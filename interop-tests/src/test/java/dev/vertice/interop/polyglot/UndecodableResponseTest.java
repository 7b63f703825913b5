package dev.vertice.interop.polyglot;

import static dev.vertice.interop.polyglot.Events.about;
import static dev.vertice.interop.polyglot.Events.instanceIds;
import static dev.vertice.interop.polyglot.Events.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.discovery.v1.Resource;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.ResourceTypes;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The example clients NACK a response they cannot decode, keep what they held, and resume with it.
 *
 * <p>The control plane never sends undecodable values, so this test plays the server side of the
 * Watch protocol itself: a DiscoveryService on a loopback port whose responses the test writes.
 */
class UndecodableResponseTest {

  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private final BlockingQueue<WatchRequest> requests = new LinkedBlockingQueue<>();
  private final AtomicReference<StreamObserver<WatchResponse>> stream = new AtomicReference<>();
  private Server server;
  private ClientProcess client;

  @AfterEach
  void cleanUp() throws InterruptedException {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @EnumSource(ExampleClient.class)
  void undecodableResourceIsNackedAndTheHeldVersionKept(ExampleClient example) throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new DiscoveryServiceGrpc.DiscoveryServiceImplBase() {
          @Override
          public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
            stream.set(responses);
            return new StreamObserver<>() {
              @Override
              public void onNext(WatchRequest request) {
                requests.add(request);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            };
          }
        })
        .build().start();
    client = example.start("127.0.0.1:" + server.getPort(), "watch", "orders");

    WatchRequest subscribe = next("the subscribe request");
    assertEquals(ResourceTypes.ENDPOINTS, subscribe.getTypeUrl());
    assertEquals(List.of("orders"), subscribe.getSubscribeList());
    assertEquals(example.nodeKind, subscribe.getNode().getKind());
    assertTrue(subscribe.getInitialResourceVersionsMap().isEmpty());

    Endpoints endpoints = Endpoints.newBuilder().setService("orders").addInstances(Instance.newBuilder()
        .setService("orders").setInstanceId("orders-1").setAddress("127.0.0.1").setPort(9001)
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING).setVersion("v1").setWeight(100)).build();
    send("n1", "test-1", Any.pack(endpoints));
    WatchRequest ack = next("the ACK of n1");
    assertEquals("n1", ack.getResponseNonce());
    assertFalse(ack.hasErrorDetail(), "an applied response is ACKed");
    client.await("update", e -> about(e, "orders") && instanceIds(e).contains("orders-1"), DEADLINE);

    // Declared an Endpoints, but its bytes end in the middle of a field.
    Any broken = Any.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS)
        .setValue(ByteString.copyFrom(new byte[] {0x0a, 0x05, 'o'})).build();
    send("n2", "test-2", broken);
    WatchRequest nack = next("the NACK of n2");
    assertEquals("n2", nack.getResponseNonce());
    assertTrue(nack.hasErrorDetail(), "an undecodable response is NACKed");
    assertEquals(3, nack.getErrorDetail().getCode());
    assertTrue(nack.getErrorDetail().getMessage().contains("orders"), nack.getErrorDetail().getMessage());
    Struct printed = client.await("nack", e -> "n2".equals(str(e, "nonce")), DEADLINE);
    assertTrue(str(printed, "reason").contains("cannot be decoded"), str(printed, "reason"));

    // The stream breaks: the client resumes with the version it kept, not the one it refused.
    stream.get().onError(Status.UNAVAILABLE.withDescription("test server restarts").asRuntimeException());
    WatchRequest resume = next("the resume request");
    assertEquals(Map.of("orders", "test-1"), resume.getInitialResourceVersionsMap());
    assertEquals(List.of("orders"), resume.getSubscribeList());
  }

  private void send(String nonce, String version, Any value) {
    stream.get().onNext(WatchResponse.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).setSystemVersion(version)
        .setNonce(nonce)
        .addResources(Resource.newBuilder().setName("orders").setVersion(version).setResource(value))
        .build());
  }

  private WatchRequest next(String what) throws InterruptedException {
    WatchRequest r = requests.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    assertNotNull(r, "timed out after " + DEADLINE + " waiting for " + what + "; the client printed:\n"
        + client.output());
    return r;
  }
}
