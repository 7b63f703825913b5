package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import dev.vertice.controlplane.store.redis.Replica;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, defect 11, on one real Redis with two replicas: a rollout's policy is converged when the
 * watchers of every replica answered, not only the lease holder's; a NACK is an answer (counted,
 * not waited on); a replica whose watcher never answers is waited on only up to the fleet timeout.
 */
@Timeout(60)
class PolicyConvergenceAcrossReplicasTest {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  private RedisServer redis;
  private final List<AutoCloseable> open = new ArrayList<>();

  /** A replica on the test's Redis, closed after the test (last opened, first closed). */
  private Replica replica() throws Exception {
    Replica r = new Replica(ControlPlane.builder().redis(RedisStoreConfig.parse(redis.url()))
        .policyFleetTimeout(Duration.ofSeconds(3)));
    open.add(r);
    return r;
  }

  /** A control plane on Redis behind an in-process server. */
  @AfterEach
  void tearDown() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private static WatchStream watch(Replica n, String nodeId) throws InterruptedException {
    WatchStream w = WatchStream.open(n.channel, nodeId);
    w.send(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY).addSubscribe("shop"));
    w.nextAcked();
    return w;
  }

  private static boolean converged(Replica leader, String id) {
    return leader.controlPlane.canary().get(id).map(Rollout::policyConverged).orElse(false);
  }

  @Test
  void aRolloutConvergesWhenEveryReplicasWatchersAnsweredAndANackOrASilentReplicaDoesNotHoldItForever()
      throws Exception {
    redis = new RedisServer(dir);
    Replica leader = replica();
    Await.until("the first replica holds the canary lease", WAIT, () -> leader.controlPlane.canary().leading());
    Replica other = replica();
    for (String version : List.of("v1", "v2")) {
      leader.controlPlane.store().register(Instance.newBuilder().setService("shop").setInstanceId("shop-" + version)
          .setAddress("127.0.0.1").setPort(8000).setVersion(version).setWeight(1).setProtocol(Protocol.PROTOCOL_HTTP)
          .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build(), Duration.ofMinutes(5), Duration.ofMinutes(5));
    }
    Await.until("both views hold shop", WAIT, () -> leader.controlPlane.registry().instanceCount("shop") == 2
        && other.controlPlane.registry().instanceCount("shop") == 2);
    WatchStream onLeader = watch(leader, "gw-a");
    WatchStream onOther = watch(other, "gw-b");

    Rollout r = leader.controlPlane.canary().create(RolloutSpec.draft().service("shop").stableVersion("v1")
        .candidateVersion("v2").stageDuration(Duration.ofMinutes(10)).analysisInterval(Duration.ofMinutes(5))
        .progressDeadline(Duration.ofHours(1)).validate().orThrow());
    onLeader.ack(onLeader.next());
    var heldByOther = onOther.next();
    long revision = leader.controlPlane.trafficPolicies().get("shop").orElseThrow().revision();
    Await.until("the leader's own watcher answered", WAIT,
        () -> leader.controlPlane.trafficPolicies().whenConverged("shop", revision).isDone());
    // The old rule (the lease holder's watchers only) would call it converged within milliseconds.
    Thread.sleep(1_000);
    assertFalse(converged(leader, r.id()), "the other replica's watcher has not answered yet");

    onOther.nack(heldByOther, "unknown subset");
    Await.until("a NACK on the other replica is an answer", WAIT, () -> converged(leader, r.id()));
    assertEquals(1, leader.controlPlane.policyPublisher().nackedPolicies(), "the NACK is counted");

    // The next stage: the other replica's watcher never answers; the leader waits the fleet timeout.
    Rollout promoted = leader.controlPlane.canary().promote(r.id(), false);
    onLeader.ack(onLeader.next());
    onOther.next();
    Await.until("converged without the silent replica after the fleet timeout", WAIT,
        () -> converged(leader, promoted.id()) && leader.controlPlane.canary().get(r.id()).orElseThrow().candidateWeight()
            == promoted.candidateWeight());
    assertEquals(1, leader.controlPlane.policyPublisher().fleetTimeouts(), "the silent replica is reported");
  }
}
