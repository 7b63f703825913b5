package dev.vertice.controlplane.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.Any;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import dev.vertice.testkit.RedisServer;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ADS on replicas that share a real redis-server: any replica serves the same xDS resources. */
class AdsOnRedisTest {

  @TempDir
  Path dir;

  private RedisServer redis;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    redis = new RedisServer(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    redis.close();
  }

  /** A replica behind an in-process server; returns it and a channel to it. */
  private record Replica(ControlPlane controlPlane, ManagedChannel channel) {}

  private Replica replica() throws Exception {
    ControlPlane cp = ControlPlane.builder().redis(RedisStoreConfig.parse(redis.url())).build();
    closeables.add(cp);
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
    for (BindableService s : cp.services()) {
      b.addService(s);
    }
    Server server = b.build().start();
    closeables.add(() -> server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    closeables.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return new Replica(cp, channel);
  }

  /** Subscribes to one resource on a fresh ADS stream and returns the responses. */
  private static BlockingQueue<DiscoveryResponse> subscribe(Replica r, String type, String name) {
    BlockingQueue<DiscoveryResponse> out = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> req = AggregatedDiscoveryServiceGrpc.newStub(r.channel())
        .streamAggregatedResources(new StreamObserver<>() {
          @Override
          public void onNext(DiscoveryResponse value) {
            out.add(value);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    req.onNext(DiscoveryRequest.newBuilder().setTypeUrl(type).addResourceNames(name)
        .setNode(Node.newBuilder().setId("redis-test")).build());
    return out;
  }

  /** Polls until a response carries a resource, and returns that resource. */
  private static Any nextResource(BlockingQueue<DiscoveryResponse> responses) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      DiscoveryResponse r = responses.poll(100, TimeUnit.MILLISECONDS);
      if (r != null && r.getResourcesCount() > 0) {
        return r.getResources(0);
      }
    }
    throw new AssertionError("no resource within 10 s");
  }

  private static Instance instance(String id, String version) {
    return Instance.newBuilder().setService("pay").setInstanceId(id).setAddress("10.0.0." + id.length())
        .setPort(9000).setVersion(version).setHealth(HealthStatus.HEALTH_STATUS_SERVING).build();
  }

  private static Map<String, Integer> weights(Any route) throws Exception {
    return route.unpack(RouteConfiguration.class).getVirtualHosts(0).getRoutes(0).getRoute().getWeightedClusters()
        .getClustersList().stream()
        .collect(Collectors.toMap(WeightedCluster.ClusterWeight::getName, c -> c.getWeight().getValue()));
  }

  @Test
  void writesOnOneReplicaReachXdsClientsOfAnother() throws Exception {
    Replica a = replica();
    Replica b = replica();
    BlockingQueue<DiscoveryResponse> eds = subscribe(b, XdsTypes.ENDPOINT, "pay/v2");

    a.controlPlane().store().register(instance("c-1", "v2"), Duration.ofMinutes(1), Duration.ofSeconds(20));
    ClusterLoadAssignment cla = nextResource(eds).unpack(ClusterLoadAssignment.class);
    assertEquals("pay/v2", cla.getClusterName());
    assertEquals(1, cla.getEndpoints(0).getLbEndpointsCount());

    BlockingQueue<DiscoveryResponse> rds = subscribe(b, XdsTypes.ROUTE, "pay");
    nextResource(rds);
    a.controlPlane().store().register(instance("s-1", "v1"), Duration.ofMinutes(1), Duration.ofSeconds(20));
    a.controlPlane().trafficPolicies().put(TrafficPolicy.newBuilder().setService("pay")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(90))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(10)).build());
    Any route;
    do {
      route = nextResource(rds);
    } while (weights(route).isEmpty());
    assertEquals(Map.of("pay/v1", 90, "pay/v2", 10), weights(route));
  }

  @Test
  void replicaStartedLaterServesTheSameResourcesFromTheSnapshot() throws Exception {
    Replica a = replica();
    a.controlPlane().store().register(instance("s-1", "v1"), Duration.ofMinutes(1), Duration.ofSeconds(20));
    a.controlPlane().store().register(instance("c-1", "v2"), Duration.ofMinutes(1), Duration.ofSeconds(20));
    a.controlPlane().trafficPolicies().put(TrafficPolicy.newBuilder().setService("pay")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(75))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(25)).build());

    Replica late = replica();
    BlockingQueue<DiscoveryResponse> onA = subscribe(a, XdsTypes.ROUTE, "pay");
    BlockingQueue<DiscoveryResponse> onLate = subscribe(late, XdsTypes.ROUTE, "pay");
    DiscoveryResponse fromA = onA.poll(10, TimeUnit.SECONDS);
    Any lateRoute = nextResource(onLate);
    assertNotNull(fromA);
    assertEquals(Map.of("pay/v1", 75, "pay/v2", 25), weights(lateRoute));
    assertEquals(fromA.getResources(0), lateRoute);
  }
}
