package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.Convergence;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import dev.vertice.controlplane.store.StoreUnavailableException;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TrafficPolicies shared by replicas through a real redis-server: one history, one version everywhere. */
class RedisTrafficPolicyTest {

  @TempDir
  Path dir;

  private RedisServer redis;
  private final List<Replica> replicas = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    redis = new RedisServer(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Replica r : replicas) {
      r.close();
    }
    redis.close();
  }

  private Replica replica() throws Exception {
    Replica r = new Replica(RedisStoreConfig.parse(redis.url()));
    replicas.add(r);
    return r;
  }

  private static TrafficPolicy split(String service, int stable, int candidate) {
    return TrafficPolicy.newBuilder().setService(service).setRolloutId("r-1")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(stable))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(candidate))
        .build();
  }

  @Test
  void aPolicyPutOnOneReplicaIsPushedByAnotherWithTheSameVersion() throws Exception {
    Replica a = replica();
    Replica b = replica();
    BlockingQueue<WatchResponse> pushed = new LinkedBlockingQueue<>();
    StreamObserver<WatchRequest> requests = DiscoveryServiceGrpc.newStub(b.channel).watch(collect(pushed));
    requests.onNext(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY).addSubscribe("shop").build());
    WatchResponse absent = pushed.poll(10, TimeUnit.SECONDS);
    assertNotNull(absent);
    assertEquals(List.of("shop"), absent.getRemovedResourcesList());
    requests.onNext(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY)
        .setResponseNonce(absent.getNonce()).build());

    StoredTrafficPolicy put = a.controlPlane.trafficPolicies().put(split("shop", 95, 5));
    assertEquals(put, a.controlPlane.trafficPolicies().get("shop").orElseThrow(), "read-your-writes on A");
    String version = a.controlPlane.trafficPolicies().version(put.revision());
    WatchResponse onB = pushed.poll(10, TimeUnit.SECONDS);
    assertNotNull(onB, "replica B pushed the policy written on replica A");
    assertEquals(version, onB.getResources(0).getVersion(), "same version on every replica");
    assertEquals(split("shop", 95, 5), onB.getResources(0).getResource().unpack(TrafficPolicy.class));
    assertEquals(put, b.controlPlane.trafficPolicies().get("shop").orElseThrow());

    // Convergence is tracked by the replica serving the watcher.
    var converged = b.controlPlane.trafficPolicies().whenConverged("shop", put.revision());
    requests.onNext(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY)
        .setResponseNonce(onB.getNonce()).build());
    Convergence c = converged.get(5, TimeUnit.SECONDS);
    assertEquals(1, c.subscribers());

    long removal = b.controlPlane.trafficPolicies().remove("shop").orElseThrow();
    assertTrue(removal > put.revision());
    WatchResponse removed = pushed.poll(10, TimeUnit.SECONDS);
    assertNotNull(removed);
    assertEquals(List.of("shop"), removed.getRemovedResourcesList());
    // The view publishes a revision just after its listeners heard of it: wait for both, then compare.
    Await.until("A applied the removal made on B", () -> a.controlPlane.trafficPolicies().get("shop").isEmpty()
        && a.controlPlane.registry().revision() >= removal);
    assertEquals(removal, a.controlPlane.registry().revision(), "A and B at the same revision");
    assertTrue(a.controlPlane.trafficPolicies().remove("shop").isEmpty());
    requests.onCompleted();
  }

  @Test
  void anEqualPolicyWrittenOnAnotherReplicaTakesNoNewRevision() throws Exception {
    Replica a = replica();
    Replica b = replica();
    StoredTrafficPolicy first = a.controlPlane.trafficPolicies().put(split("shop", 95, 5));
    Await.until("B holds it", () -> b.controlPlane.trafficPolicies().get("shop").isPresent()
        && b.controlPlane.registry().revision() >= first.revision());
    assertEquals(first.revision(), b.controlPlane.trafficPolicies().put(split("shop", 95, 5)).revision());
    assertEquals(first.revision(), b.controlPlane.registry().revision(), "no new revision");
  }

  @Test
  void aReplicaStartedLaterLoadsEveryPolicyWithItsVersion() throws Exception {
    Replica a = replica();
    StoredTrafficPolicy shop = a.controlPlane.trafficPolicies().put(split("shop", 95, 5));
    StoredTrafficPolicy cart = a.controlPlane.trafficPolicies().put(split("cart", 50, 50));
    a.controlPlane.trafficPolicies().put(split("gone", 50, 50));
    a.controlPlane.trafficPolicies().remove("gone");
    Replica late = replica();
    assertEquals(List.of(cart, shop), late.controlPlane.trafficPolicies().list());
    assertEquals(a.controlPlane.registry().revision(), late.controlPlane.registry().revision());
  }

  @Test
  void aReplicaWhoseNextPolicyChangeWasTrimmedFromTheLogReloadsItFromASnapshot() throws Exception {
    Replica a = replica();
    a.controlPlane.trafficPolicies().put(split("shop", 95, 5));
    Replica b = replica();
    TrafficPolicy missed = split("shop", 50, 50);
    long rev;
    RedisClient client = RedisClient.create(redis.url());
    try (StatefulRedisConnection<String, byte[]> c = client.connect(
        RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
      String p = RedisStoreConfig.DEFAULT_PREFIX;
      rev = c.sync().incrby(p + ":rev", 10);
      c.sync().hset(p + ":policies", "shop", missed.toByteArray());
      c.sync().hset(p + ":policy-versions", "shop", bytes(Long.toString(rev)));
      c.sync().xadd(p + ":log", Map.of("r", bytes(Long.toString(rev)), "t", bytes("p"), "s", bytes("shop"),
          "d", missed.toByteArray()));
    } finally {
      client.shutdown();
    }
    for (Replica r : replicas) {
      Await.until("the replica reloaded the policy it could not read from the log",
          () -> r.controlPlane.trafficPolicies().get("shop").map(StoredTrafficPolicy::revision).orElse(0L) == rev
              && r.controlPlane.registry().revision() >= rev); // the revision is published after the change
      assertEquals(missed, r.controlPlane.trafficPolicies().get("shop").orElseThrow().policy());
    }
    assertEquals(rev, b.controlPlane.registry().revision());
  }

  @Test
  void whileRedisIsDownAPolicyWriteFailsAndChangesNothing() throws Exception {
    Replica a = replica();
    StoredTrafficPolicy held = a.controlPlane.trafficPolicies().put(split("shop", 95, 5));
    redis.kill();
    assertThrows(StoreUnavailableException.class, () -> a.controlPlane.trafficPolicies().put(split("shop", 0, 100)));
    assertEquals(held, a.controlPlane.trafficPolicies().get("shop").orElseThrow(), "the view keeps what it had");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static <Q, T> ClientResponseObserver<Q, T> collect(BlockingQueue<T> into) {
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<Q> requestStream) {}

      @Override
      public void onNext(T value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
