package dev.vertice.controlplane.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.canary.v1.Rollout;
import dev.vertice.api.canary.v1.RolloutSpec;
import dev.vertice.api.canary.v1.RolloutState;
import dev.vertice.testkit.Await;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RolloutStore} and {@link Leases} pair does; subclasses give two "replicas"
 * sharing one store (the same object in memory, two connections to one Redis).
 */
public abstract class RolloutStoreContract {

  /** Returns the store as replica A sees it. */
  protected abstract RolloutStore storeA();

  /** Returns the store as replica B sees it. */
  protected abstract RolloutStore storeB();

  protected abstract Leases leasesA();

  protected abstract Leases leasesB();

  /** Lets {@code d} pass for the leases' clock (a fake clock in memory, real time in Redis). */
  protected abstract void pass(Duration d) throws Exception;

  /** Whether time really passes, so waiting on a condition is needed. */
  protected abstract boolean realTime();

  public static Rollout rollout(String id, RolloutState state, int weight) {
    return Rollout.newBuilder().setId(id)
        .setSpec(RolloutSpec.newBuilder().setService("shop").setStableVersion("v1").setCandidateVersion("v2"))
        .setState(state).setCandidateWeight(weight).build();
  }

  @Test
  void aRolloutIsCreatedUpdatedByRevisionAndReadOnEveryReplica() throws Exception {
    StoredRollout created = storeA().put(rollout("shop-1", RolloutState.ROLLOUT_STATE_PENDING, 0), 0);
    assertEquals(1, created.revision());
    StoredRollout onB = storeB().get("shop-1").orElseThrow();
    assertEquals(created, onB);
    StoredRollout updated = storeB().put(rollout("shop-1", RolloutState.ROLLOUT_STATE_PROGRESSING, 5),
        onB.revision());
    assertEquals(2, updated.revision());
    assertEquals(updated, storeA().get("shop-1").orElseThrow());
    assertEquals(Optional.empty(), storeA().get("nope"));
  }

  @Test
  void ofTwoReplicasWritingFromTheSameRevisionOnlyTheFirstWins() throws Exception {
    StoredRollout read = storeA().put(rollout("shop-1", RolloutState.ROLLOUT_STATE_PROGRESSING, 5), 0);
    storeA().put(rollout("shop-1", RolloutState.ROLLOUT_STATE_PROGRESSING, 25), read.revision());
    RolloutConflictException e = assertThrows(RolloutConflictException.class,
        () -> storeB().put(rollout("shop-1", RolloutState.ROLLOUT_STATE_ROLLED_BACK, 0), read.revision()));
    assertEquals(2, e.currentRevision());
    assertEquals(25, storeB().get("shop-1").orElseThrow().rollout().getCandidateWeight(), "nothing clobbered");
    RolloutConflictException exists = assertThrows(RolloutConflictException.class,
        () -> storeB().put(rollout("shop-1", RolloutState.ROLLOUT_STATE_PENDING, 0), 0));
    assertEquals(2, exists.currentRevision(), "creating an existing rollout is a conflict");
    RolloutConflictException absent = assertThrows(RolloutConflictException.class,
        () -> storeB().put(rollout("shop-2", RolloutState.ROLLOUT_STATE_PENDING, 0), 3));
    assertEquals(0, absent.currentRevision());
  }

  @Test
  void listRemoveAndSequences() throws Exception {
    storeA().put(rollout("shop-2", RolloutState.ROLLOUT_STATE_PENDING, 0), 0);
    storeA().put(rollout("cart-1", RolloutState.ROLLOUT_STATE_PENDING, 0), 0);
    assertEquals(List.of("cart-1", "shop-2"), storeB().list().stream().map(StoredRollout::id).toList());
    assertThrows(RolloutConflictException.class, () -> storeB().remove("cart-1", 7));
    storeB().remove("cart-1", 1);
    assertEquals(List.of("shop-2"), storeA().list().stream().map(StoredRollout::id).toList());
    assertThrows(RolloutConflictException.class, () -> storeB().remove("cart-1", 1));
    assertEquals(1, storeA().nextSequence("shop"));
    assertEquals(2, storeB().nextSequence("shop"));
    assertEquals(1, storeB().nextSequence("cart"));
  }

  @Test
  void badRolloutsAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> storeA().put(rollout("", RolloutState.ROLLOUT_STATE_PENDING, 0), 0));
    Rollout.Builder huge = rollout("big", RolloutState.ROLLOUT_STATE_PENDING, 0).toBuilder()
        .setMessage("x".repeat(RolloutStore.MAX_ROLLOUT_BYTES));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> storeA().put(huge.build(), 0));
    assertTrue(e.getMessage().contains("at most 262144"), e.getMessage());
  }

  @Test
  void listenersOnEveryReplicaHearOfEachWrite() throws Exception {
    LinkedBlockingQueue<StoredRollout> heard = new LinkedBlockingQueue<>();
    storeB().addListener(heard::add);
    StoredRollout w = storeA().put(rollout("shop-1", RolloutState.ROLLOUT_STATE_PENDING, 0), 0);
    assertEquals(w, heard.poll(10, TimeUnit.SECONDS));
    StoredRollout w2 = storeA().put(rollout("shop-1", RolloutState.ROLLOUT_STATE_PROGRESSING, 5), 1);
    assertEquals(w2, heard.poll(10, TimeUnit.SECONDS));
  }

  @Test
  void oneOwnerHoldsALeaseAndAnotherTakesOverWhenItExpires() throws Exception {
    Duration ttl = Duration.ofMillis(realTime() ? 400 : 2_000);
    assertTrue(leasesA().tryAcquire("rollout/shop-1", "replica-a", ttl));
    assertFalse(leasesB().tryAcquire("rollout/shop-1", "replica-b", ttl), "held by A");
    assertTrue(leasesA().tryAcquire("rollout/shop-1", "replica-a", ttl), "the holder may ask again");
    assertEquals(Optional.of("replica-a"), leasesB().holder("rollout/shop-1"));
    assertFalse(leasesB().renew("rollout/shop-1", "replica-b", ttl), "only the holder renews");
    assertFalse(leasesB().release("rollout/shop-1", "replica-b"), "only the holder releases");
    assertTrue(leasesA().renew("rollout/shop-1", "replica-a", ttl));
    assertTrue(leasesB().tryAcquire("rollout/other", "replica-b", ttl), "names are independent");

    // A stops renewing (it crashed, or is partitioned): after the TTL, B takes over.
    if (realTime()) {
      Await.until("B takes the lease after A's TTL", Duration.ofSeconds(5),
          () -> tryAcquire(leasesB(), "rollout/shop-1", "replica-b", ttl));
    } else {
      pass(ttl.minusMillis(1));
      assertFalse(leasesB().tryAcquire("rollout/shop-1", "replica-b", ttl), "not before the TTL");
      pass(Duration.ofMillis(1));
      assertTrue(leasesB().tryAcquire("rollout/shop-1", "replica-b", ttl));
    }
    assertEquals(Optional.of("replica-b"), leasesA().holder("rollout/shop-1"));
    assertFalse(leasesA().renew("rollout/shop-1", "replica-a", ttl), "A learns it lost the lease");
    assertTrue(leasesB().release("rollout/shop-1", "replica-b"));
    assertEquals(Optional.empty(), leasesA().holder("rollout/shop-1"));
    assertTrue(leasesA().tryAcquire("rollout/shop-1", "replica-a", ttl), "free again after release");
  }

  @Test
  void leaseArgumentsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> leasesA().tryAcquire("", "a", Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> leasesA().tryAcquire("n", "", Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> leasesA().tryAcquire("n", "a", Duration.ofMillis(99)));
    assertThrows(IllegalArgumentException.class, () -> leasesA().renew("n", "a", Duration.ofMinutes(11)));
  }

  private static boolean tryAcquire(Leases leases, String name, String owner, Duration ttl) {
    try {
      return leases.tryAcquire(name, owner, ttl);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
