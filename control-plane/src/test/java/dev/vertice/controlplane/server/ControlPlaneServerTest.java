package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The control plane on a real loopback socket. */
class ControlPlaneServerTest {

  private ControlPlaneServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    server = new ControlPlaneServer(ControlPlane.builder().build(), "127.0.0.1", 0, 64 * 1024);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    server.stop(Duration.ofSeconds(1));
  }

  private ManagedChannel channel() {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    channels.add(c);
    return c;
  }

  private static RegisterRequest registration(String service, String id, String payload) {
    return RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService(service).setInstanceId(id)
        .setAddress("127.0.0.1").setPort(9000).putMetadata("payload", payload)).build();
  }

  @Test
  void oversizedMessageIsResourceExhaustedAndChangesNothing() {
    ManagedChannel c = channel();
    RegisterRequest huge = RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
        .setAddress("127.0.0.1").setPort(1).putMetadata("k", "v".repeat(100 * 1024))).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> RegistryServiceGrpc.newBlockingStub(c).withInterceptors(TestDeadlines.grpc()).register(huge));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals(0, server.controlPlane().registry().instanceCount());
  }

  @Test
  void servesHealthAndReflection() throws Exception {
    ManagedChannel c = channel();
    assertEquals(HealthCheckResponse.ServingStatus.SERVING,
        HealthGrpc.newBlockingStub(c).withInterceptors(TestDeadlines.grpc()).check(HealthCheckRequest.newBuilder()
            .setService("vertice.discovery.v1.DiscoveryService").build()).getStatus());
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(c).serverReflectionInfo(
        new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse r) {
            services.complete(r.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName)
                .toList());
          }

          @Override
          public void onError(Throwable t) {
            services.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    List<String> names = services.get(5, TimeUnit.SECONDS);
    req.onCompleted();
    assertTrue(names.containsAll(List.of("vertice.registry.v1.RegistryService",
        "vertice.discovery.v1.DiscoveryService", "grpc.health.v1.Health")), names.toString());
  }

  @Test
  void slowSubscriberNeverDelaysTheOthersAndStaysBounded() throws Exception {
    // The slow client has its own connection, as a separate process would.
    WatchStream slow = WatchStream.open(channel(), "slow", false);
    ManagedChannel c = channel();
    slow.subscribe("orders");
    List<WatchStream> watchers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      WatchStream w = WatchStream.open(c, "w" + i);
      w.subscribe("orders");
      watchers.add(w);
    }
    var registry = RegistryServiceGrpc.newBlockingStub(c).withInterceptors(TestDeadlines.grpc());
    // 600 versions of ~4 KiB: 2.4 MB, more than the slow stream's 1 MiB HTTP/2 window can take.
    String payload = "p".repeat(4000);
    String version = null;
    for (int i = 0; i < 600; i++) {
      version = registry.register(registration("orders", "a", payload + i)).getResourceVersion();
    }
    String last = version;
    for (WatchStream w : watchers) {
      Await.until("watcher got version " + last, Duration.ofSeconds(20), () -> {
        WatchResponse r;
        while ((r = w.responses.poll()) != null) {
          w.ack(r);
          if (r.getResourcesCount() > 0 && r.getResources(0).getVersion().equals(last)) {
            return true;
          }
        }
        return false;
      });
    }
    var stats = server.controlPlane().engine().stats();
    assertEquals(1, stats.pendingValues(), "the blocked slow subscriber holds exactly one pending value: " + stats);
    assertEquals(101, stats.subscribers());
  }

  @Test
  void watcherOnASlowConnectionGetsOnlyTheNewestVersionOnceItReads() throws Exception {
    WatchStream slow = WatchStream.open(channel(), "slow", false);
    slow.subscribe("orders");
    var registry = RegistryServiceGrpc.newBlockingStub(channel()).withInterceptors(TestDeadlines.grpc());
    // 400 versions of ~4 KiB: more than the slow stream's HTTP/2 window can take while it reads nothing.
    String payload = "p".repeat(4000);
    String newest = null;
    for (int i = 0; i < 400; i++) {
      newest = registry.register(registration("orders", "a", payload + i)).getResourceVersion();
    }
    var versions = server.controlPlane().engine().versions();
    List<Long> received = new ArrayList<>();
    String last = newest;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    boolean holdsNewest = false;
    while (!holdsNewest && System.nanoTime() < deadline) {
      slow.request(1);
      WatchResponse r = slow.responses.poll(1, TimeUnit.SECONDS);
      if (r != null) {
        slow.ack(r);
        for (var res : r.getResourcesList()) {
          received.add(versions.parse(res.getVersion()));
        }
        holdsNewest = r.getResourcesCount() > 0 && r.getResources(0).getVersion().equals(last);
      }
    }
    assertTrue(holdsNewest, "the slow watcher holds " + last + " within 20 s; it got " + received);
    for (int i = 1; i < received.size(); i++) {
      assertTrue(received.get(i) > received.get(i - 1), "versions only go forward: " + received);
    }
    // What the window held was sent while it was open; the rest was coalesced into the newest.
    assertTrue(received.size() < 400, received.size() + " responses for 400 changes");
    slow.request(1);
    assertEquals(null, slow.responses.poll(200, TimeUnit.MILLISECONDS), "nothing after the newest version");
  }

  @Test
  void stopEndsWatchStreamsWithUnavailable() throws Exception {
    WatchStream w = WatchStream.open(channel(), "gw");
    w.subscribe("orders");
    w.nextAcked();
    server.stop(Duration.ofSeconds(1));
    Status s = w.closed.get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, s.getCode());
    assertTrue(s.getDescription().contains("reconnect"), s.getDescription());
  }
}
