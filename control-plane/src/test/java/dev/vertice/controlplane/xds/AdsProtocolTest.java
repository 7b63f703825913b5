package dev.vertice.controlplane.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.push.Convergence;
import dev.vertice.testkit.FakeClock;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ADS protocol as a raw xDS client speaks it: state of the world, ACK/NACK, errors. */
class AdsProtocolTest {

  private final FakeClock clock = new FakeClock();
  private ControlPlane controlPlane;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    controlPlane = ControlPlane.builder().ticker(clock).scheduler(clock.scheduler()).build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
    for (BindableService s : controlPlane.services()) {
      b.addService(s);
    }
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    controlPlane.close();
  }

  /** One ADS stream seen from the client. */
  private final class Ads implements StreamObserver<DiscoveryResponse> {
    final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    final StreamObserver<DiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(this);

    void send(String type, List<String> names, String nonce, String nack) {
      DiscoveryRequest.Builder r = DiscoveryRequest.newBuilder().setTypeUrl(type).addAllResourceNames(names)
          .setResponseNonce(nonce).setNode(Node.newBuilder().setId("raw-1").setUserAgentName("raw-test"));
      if (nack != null) {
        r.setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage(nack));
      }
      requests.onNext(r.build());
    }

    DiscoveryResponse next() throws InterruptedException {
      DiscoveryResponse r = responses.poll(5, TimeUnit.SECONDS);
      assertNotNull(r, "no response within 5 s");
      return r;
    }

    @Override
    public void onNext(DiscoveryResponse value) {
      responses.add(value);
    }

    @Override
    public void onError(Throwable t) {
      ended.complete(t);
    }

    @Override
    public void onCompleted() {
      ended.complete(null);
    }
  }

  private long register(String id, String version) throws Exception {
    return controlPlane.store().register(Instance.newBuilder().setService("pay").setInstanceId(id)
        .setAddress("10.0.0.1").setPort(9000 + id.length()).setVersion(version)
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build(), Duration.ofMinutes(1), Duration.ofSeconds(20))
        .resourceVersion();
  }

  private static List<String> clusterNames(DiscoveryResponse r) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    for (Any a : r.getResourcesList()) {
      out.add(a.unpack(Cluster.class).getName());
    }
    return out;
  }

  @Test
  void nackIsCountedInTheChangesConvergence() throws Exception {
    register("a", "v1");
    Ads ads = new Ads();
    ads.send(XdsTypes.ENDPOINT, List.of("pay"), "", null);
    DiscoveryResponse first = ads.next();
    assertEquals(1, first.getResourcesCount());
    ads.send(XdsTypes.ENDPOINT, List.of("pay"), first.getNonce(), null);

    long v = register("bb", "v1");
    DiscoveryResponse second = ads.next();
    assertEquals(XdsTypes.ENDPOINT, second.getTypeUrl());
    CompletableFuture<Convergence> converged = controlPlane.engine().whenConverged(XdsTypes.ENDPOINT, "pay", v);
    assertFalse(converged.isDone());
    ads.send(XdsTypes.ENDPOINT, List.of("pay"), second.getNonce(), "endpoint rejected");

    Convergence c = converged.get(5, TimeUnit.SECONDS);
    assertTrue(c.complete());
    assertEquals(1, c.subscribers());
    assertEquals(1, c.nacks());
    assertEquals(1, controlPlane.engine().stats().nacks());
  }

  @Test
  void clusterWildcardRepeatsEveryClusterInEachResponse() throws Exception {
    register("a", "v1");
    Ads ads = new Ads();
    ads.send(XdsTypes.CLUSTER, List.of(), "", null);
    DiscoveryResponse first = ads.next();
    assertEquals(List.of("pay", "pay/v1"), clusterNames(first).stream().sorted().toList());
    ads.send(XdsTypes.CLUSTER, List.of(), first.getNonce(), null);

    register("b", "v2");
    DiscoveryResponse second = ads.next();
    // Only pay/v2 is new, but a state-of-the-world CDS response lists every cluster the client keeps.
    assertEquals(List.of("pay", "pay/v1", "pay/v2"), clusterNames(second).stream().sorted().toList());
    assertTrue(second.getVersionInfo().endsWith("-" + controlPlane.engine().revision()), second.getVersionInfo());
  }

  @Test
  void endpointUnsubscribedByOmissionIsNoLongerPushed() throws Exception {
    register("a", "v1");
    Ads ads = new Ads();
    ads.send(XdsTypes.ENDPOINT, List.of("pay", "pay/v1"), "", null);
    DiscoveryResponse first = ads.next();
    assertEquals(2, first.getResourcesCount());
    // The next request names only pay: pay/v1 is unsubscribed.
    ads.send(XdsTypes.ENDPOINT, List.of("pay"), first.getNonce(), null);
    register("b", "v1");
    DiscoveryResponse second = ads.next();
    assertEquals(1, second.getResourcesCount());
    assertEquals("pay", second.getResources(0)
        .unpack(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.class).getClusterName());
    ads.send(XdsTypes.ENDPOINT, List.of("pay"), second.getNonce(), null);
    assertNull(ads.responses.poll(100, TimeUnit.MILLISECONDS));
  }

  @Test
  void typeNotServedEndsTheStreamWithInvalidArgument() throws Exception {
    Ads ads = new Ads();
    ads.send("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", List.of("x"), "", null);
    Throwable t = ads.ended.get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(t).getCode());
    com.google.rpc.Status detail = StatusProto.fromThrowable(t);
    assertNotNull(detail);
    BadRequest bad = detail.getDetails(0).unpack(BadRequest.class);
    assertEquals("type_url", bad.getFieldViolations(0).getField());
    assertTrue(bad.getFieldViolations(0).getDescription().contains(XdsTypes.CLUSTER));
  }

  @Test
  void verticeWatchDoesNotServeXdsTypes() throws Exception {
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    StreamObserver<WatchRequest> watch = DiscoveryServiceGrpc.newStub(channel).watch(new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse value) {}

      @Override
      public void onError(Throwable t) {
        ended.complete(t);
      }

      @Override
      public void onCompleted() {
        ended.complete(null);
      }
    });
    watch.onNext(WatchRequest.newBuilder().setTypeUrl(XdsTypes.CLUSTER).addSubscribe("pay").build());
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(ended.get(5, TimeUnit.SECONDS)).getCode());
  }

  @Test
  void xdsSubscribersAreCountedByUserAgent() {
    assertEquals("xds-envoy", AdsGrpcService.nodeKind(Node.newBuilder().setUserAgentName("envoy").build()));
    assertEquals("xds", AdsGrpcService.nodeKind(Node.getDefaultInstance()));
    assertEquals("xds-grpcjava", AdsGrpcService.nodeKind(Node.newBuilder().setUserAgentName("grpc java\n").build()));
  }
}
