package dev.vertice.controlplane.store.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.canary.v1.RolloutState;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.Leases;
import dev.vertice.controlplane.store.RolloutStore;
import dev.vertice.controlplane.store.RolloutStoreContract;
import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class InMemoryRolloutStoreTest extends RolloutStoreContract {

  private final FakeClock clock = new FakeClock();
  private final InMemoryRolloutStore store = new InMemoryRolloutStore();
  private final InMemoryLeases leases = new InMemoryLeases(clock);

  @Override
  protected RolloutStore storeA() {
    return store;
  }

  @Override
  protected RolloutStore storeB() {
    return store;
  }

  @Override
  protected Leases leasesA() {
    return leases;
  }

  @Override
  protected Leases leasesB() {
    return leases;
  }

  @Override
  protected void pass(Duration d) {
    clock.forwardTime(d);
  }

  @Override
  protected boolean realTime() {
    return false;
  }

  @Test
  void theNumberOfRolloutsIsBounded() throws Exception {
    for (int i = 0; i < RolloutStore.MAX_ROLLOUTS; i++) {
      store.put(rollout("r-" + i, RolloutState.ROLLOUT_STATE_PROMOTED, 100), 0);
    }
    CapacityExceededException e = assertThrows(CapacityExceededException.class,
        () -> store.put(rollout("one-more", RolloutState.ROLLOUT_STATE_PENDING, 0), 0));
    assertTrue(e.getMessage().contains("10000 rollouts"), e.getMessage());
    store.put(rollout("r-0", RolloutState.ROLLOUT_STATE_ABORTED, 0), 1); // updates still go through
    store.remove("r-1", 1);
    store.put(rollout("one-more", RolloutState.ROLLOUT_STATE_PENDING, 0), 0);
    assertEquals(RolloutStore.MAX_ROLLOUTS, store.list().size());
  }
}
