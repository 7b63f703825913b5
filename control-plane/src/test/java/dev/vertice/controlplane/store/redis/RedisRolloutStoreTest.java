package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.canary.v1.RolloutState;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.store.Leases;
import dev.vertice.controlplane.store.RolloutStore;
import dev.vertice.controlplane.store.RolloutStoreContract;
import dev.vertice.controlplane.store.StoredRollout;
import dev.vertice.testkit.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rollout store and leases on a real redis-server, seen by two replicas' connections. */
class RedisRolloutStoreTest extends RolloutStoreContract {

  @TempDir
  Path dir;

  private RedisServer redis;
  private ScriptedRedis a;
  private ScriptedRedis b;
  private RedisRolloutStore storeA;
  private RedisRolloutStore storeB;

  @BeforeEach
  void setUp() throws Exception {
    redis = new RedisServer(dir);
    a = new ScriptedRedis(RedisStoreConfig.parse(redis.url()));
    b = new ScriptedRedis(RedisStoreConfig.parse(redis.url()));
    storeA = new RedisRolloutStore(a);
    storeB = new RedisRolloutStore(b);
  }

  @AfterEach
  void tearDown() throws Exception {
    storeA.close();
    storeB.close();
    a.close();
    b.close();
    redis.close();
  }

  @Override
  protected RolloutStore storeA() {
    return storeA;
  }

  @Override
  protected RolloutStore storeB() {
    return storeB;
  }

  @Override
  protected Leases leasesA() {
    return new RedisLeases(a);
  }

  @Override
  protected Leases leasesB() {
    return new RedisLeases(b);
  }

  @Override
  protected void pass(Duration d) {
    throw new UnsupportedOperationException("Redis times leases by its own clock: wait on a condition instead");
  }

  @Override
  protected boolean realTime() {
    return true;
  }

  @Test
  void rolloutsAndLeasesSurviveAControlPlaneRestart() throws Exception {
    RedisStoreConfig config = RedisStoreConfig.parse(redis.url());
    StoredRollout written;
    try (ControlPlane first = ControlPlane.builder().redis(config).build()) {
      written = first.rollouts().put(rollout("shop-1", RolloutState.ROLLOUT_STATE_PROGRESSING, 25), 0);
      first.leases().tryAcquire("canary-controller", first.replicaId(), Duration.ofMinutes(1));
    }
    try (ControlPlane second = ControlPlane.builder().redis(config).build()) {
      // The second control plane's canary controller continues the active rollout (it republishes its
      // weights and records their convergence), so the stored value moves on; the rollout survived.
      StoredRollout survived = second.rollouts().get("shop-1").orElseThrow();
      assertEquals(written.rollout().getState(), survived.rollout().getState());
      assertEquals(written.rollout().getCandidateWeight(), survived.rollout().getCandidateWeight());
      assertTrue(survived.revision() >= written.revision());
      assertEquals(1, second.rollouts().list().size());
      assertEquals(true, second.leases().holder("canary-controller").isPresent(),
          "a lease outlives its holder until its TTL: the next holder waits it out (or it was released)");
    }
  }
}
