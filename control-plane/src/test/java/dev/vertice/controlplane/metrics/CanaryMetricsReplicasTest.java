package dev.vertice.controlplane.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.canary.DecisionKind;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two control-plane replicas on one real redis-server: the replica without the canary lease exports
 * the rollout's stage and weight too (from the shared rollout store), and no decisions.
 */
class CanaryMetricsReplicasTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;
  private RedisServer redis;
  private ControlPlane one;
  private ControlPlane two;

  @AfterEach
  void tearDown() throws Exception {
    if (one != null) {
      one.close();
    }
    if (two != null) {
      two.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void theReplicaWithoutTheLeaseExportsTheRolloutsGaugesButNoDecisions() throws Exception {
    redis = new RedisServer(dir);
    one = ControlPlane.builder().redis(RedisStoreConfig.parse(redis.url())).build();
    two = ControlPlane.builder().redis(RedisStoreConfig.parse(redis.url())).build();
    SimpleMeterRegistry metersOne = new SimpleMeterRegistry();
    SimpleMeterRegistry metersTwo = new SimpleMeterRegistry();
    new CanaryMetrics(metersOne).bind(one.canary());
    new CanaryMetrics(metersTwo).bind(two.canary());
    Await.until("one replica holds the canary lease", WAIT, () -> one.canary().leading() || two.canary().leading());
    ControlPlane leader = one.canary().leading() ? one : two;
    SimpleMeterRegistry leaderMeters = leader == one ? metersOne : metersTwo;
    SimpleMeterRegistry followerMeters = leader == one ? metersTwo : metersOne;
    for (String version : new String[] {"v1", "v2"}) {
      leader.store().register(Instance.newBuilder().setService("orders").setInstanceId("orders-" + version)
          .setAddress("127.0.0.1").setPort(version.equals("v1") ? 8001 : 8002).setVersion(version).setWeight(100)
          .setProtocol(Protocol.PROTOCOL_HTTP).setHealth(HealthStatus.HEALTH_STATUS_SERVING).build(),
          Duration.ofMinutes(5), Duration.ofMinutes(5));
    }
    Await.until("the leader's view holds both versions", WAIT, () -> leader.registry().service("orders") != null
        && leader.registry().service("orders").instances().size() == 2);

    Rollout created = leader.canary().create(RolloutSpec.draft().service("orders").stableVersion("v1")
        .candidateVersion("v2").stageDuration(Duration.ofMinutes(10)).analysisInterval(Duration.ofMinutes(5))
        .progressDeadline(Duration.ofHours(1)).validate().orThrow());
    Await.until("the follower exports the first stage's weight", WAIT,
        () -> weight(followerMeters) == created.candidateWeight());
    assertEquals(0, followerMeters.get("vertice.canary.stage").tag("service", "orders").gauge().value());

    Rollout promoted = leader.canary().promote(created.id(), false);
    assertTrue(promoted.candidateWeight() > created.candidateWeight(), promoted.toString());
    Await.until("the follower follows the promotion", WAIT,
        () -> weight(followerMeters) == promoted.candidateWeight());
    assertEquals(1, followerMeters.get("vertice.canary.stage").tag("service", "orders").gauge().value());
    long promotions = leader.canary().get(created.id()).orElseThrow().decisions().stream()
        .filter(d -> d.kind() == DecisionKind.PROMOTE).count();
    assertTrue(promotions >= 1);
    assertEquals(promotions, (long) leaderMeters.get("vertice.canary.decisions")
        .tags("service", "orders", "kind", "promote").counter().count(), "the lease holder counts the decisions");
    assertEquals(null, followerMeters.find("vertice.canary.decisions").counter(), "the follower does not");

    leader.canary().abort(created.id());
    Await.until("the follower's gauges end with the rollout", WAIT,
        () -> followerMeters.find("vertice.canary.candidate.weight").gauge() == null);
  }

  private static double weight(SimpleMeterRegistry meters) {
    Gauge g = meters.find("vertice.canary.candidate.weight").tag("service", "orders").gauge();
    return g == null ? -1 : g.value();
  }
}
