package dev.vertice.controlplane.store.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.RemovalReason;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.NotFoundException;
import dev.vertice.controlplane.store.Registration;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.RegistryStoreContract;
import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registry store contract on the in-memory store with a fake clock, and what only the in-memory
 * store promises: removal reasons, one expiry slot per lease, one winner of a renewal racing expiry.
 */
class InMemoryRegistryStoreTest extends RegistryStoreContract {

  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration KEEPALIVE = Duration.ofSeconds(5);

  private final FakeClock clock = new FakeClock();
  private final AtomicInteger ids = new AtomicInteger();
  private RegistryView view;
  private InMemoryRegistryStore registry;

  @Override
  protected RegistryStore open(RegistryConfig config, RegistryView view, RegistryEvents events) {
    return new InMemoryRegistryStore(config, view, clock, clock.scheduler(),
        () -> String.format("%032d", ids.incrementAndGet()), events);
  }

  @Override
  protected void pass(Duration d) {
    clock.forwardTime(d);
  }

  @Override
  protected boolean realTime() {
    return false;
  }

  @BeforeEach
  void setUp() throws Exception {
    Opened o = open(RegistryConfig.custom().grace(Duration.ofSeconds(5)).maxInstances(3).build());
    registry = (InMemoryRegistryStore) o.store();
    view = o.view();
  }

  @Test
  void expiredLeaseRemovesInstanceAndPushesRemoval() throws Exception {
    registry.register(instance("a"), TTL, KEEPALIVE);
    clock.forwardTime(TTL.minusMillis(200));
    assertEquals(1, view.instanceCount(), "still alive just before the TTL");
    clock.forwardTime(Duration.ofMillis(300));
    assertEquals(0, view.instanceCount());
    assertNull(view.endpointsSource().get("orders"), "the Endpoints resource is gone");
    assertEquals(List.of("orders@1", "orders@2"), changes, "the removal was reported as a change");
    assertEquals(List.of("orders/a:EXPIRED"), removals);
  }

  @Test
  void keepAliveRenewsTheLeaseForItsFullTtl() throws Exception {
    Registration r = registry.register(instance("a"), TTL, KEEPALIVE);
    for (int i = 0; i < 10; i++) {
      clock.forwardTime(KEEPALIVE);
      assertEquals(TTL.toNanos(), registry.keepAlive(r.leaseId(), "s1").orElseThrow());
    }
    assertEquals(1, view.instanceCount(), "50 s of keepalives outlive a 10 s TTL");
    clock.forwardTime(TTL.plusMillis(200));
    assertEquals(0, view.instanceCount());
    assertTrue(registry.keepAlive(r.leaseId(), "s1").isEmpty(), "an expired lease cannot be renewed");
  }

  @Test
  void brokenStreamGraceKeepsInstanceWhenRenewedInTime() throws Exception {
    Registration r = registry.register(instance("a"), TTL, KEEPALIVE);
    registry.keepAlive(r.leaseId(), "s1");
    registry.keepAliveStreamEnded("s1", Set.of(r.leaseId()));
    clock.forwardTime(Duration.ofSeconds(4));
    assertTrue(registry.keepAlive(r.leaseId(), "s1").isPresent(), "a ping within the grace keeps the lease");
    clock.forwardTime(Duration.ofSeconds(6));
    assertEquals(1, view.instanceCount(), "renewed for a full TTL, not the grace");
    assertEquals(List.of("orders@1"), changes, "no flap: nothing was pushed");
  }

  @Test
  void brokenStreamGraceRemovesInstanceWhenNotRenewed() throws Exception {
    Registration r = registry.register(instance("a"), TTL, KEEPALIVE);
    registry.keepAlive(r.leaseId(), "s1");
    registry.keepAliveStreamEnded("s1", Set.of(r.leaseId()));
    clock.forwardTime(Duration.ofMillis(4900));
    assertEquals(1, view.instanceCount());
    clock.forwardTime(Duration.ofMillis(200));
    assertEquals(0, view.instanceCount(), "removed after the 5 s grace, long before the 10 s TTL");
    assertEquals(List.of("orders/a:GRACE_EXPIRED"), removals);
  }

  @Test
  void graceNeverExtendsALeaseBeyondItsDeadline() throws Exception {
    Registration r = registry.register(instance("a"), TTL, KEEPALIVE);
    registry.keepAlive(r.leaseId(), "s1");
    clock.forwardTime(Duration.ofSeconds(8));
    registry.keepAliveStreamEnded("s1", Set.of(r.leaseId()));
    clock.forwardTime(Duration.ofMillis(2100));
    assertEquals(0, view.instanceCount(), "expired at its own deadline, 2 s later, not after 5 s of grace");
    assertEquals(List.of("orders/a:EXPIRED"), removals);
  }

  @Test
  void aLeaseSitsInOneExpirySlotHoweverOftenItIsRenewed() throws Exception {
    Registration r = registry.register(instance("a"), TTL, KEEPALIVE);
    for (int i = 0; i < 1000; i++) {
      clock.forwardTime(Duration.ofMillis(150));
      registry.keepAlive(r.leaseId(), "s1");
    }
    assertEquals(1, registry.scheduledExpiries(), "renewals move no slot entries: one per lease");
    clock.forwardTime(TTL.plusMillis(200));
    assertEquals(0, view.instanceCount());
    assertEquals(0, registry.scheduledExpiries());
  }

  @Test
  void snapshotIsBuiltOncePerVersion() throws Exception {
    registry.register(instance("a"), TTL, KEEPALIVE);
    assertTrue(view.endpointsSource().get("orders") == view.endpointsSource().get("orders"), "same immutable snapshot for the same version");
    registry.register(instance("b"), TTL, KEEPALIVE);
    assertEquals(2, view.endpointsSource().get("orders").version());
  }

  @Test
  void renewalAndExpiryRacingHaveExactlyOneWinner() throws Exception {
    Registration r = registry.register(instance("a"), TTL, KEEPALIVE);
    clock.forwardTime(TTL);
    // At the deadline the lease is expired for a renewal and for the sweeper alike.
    boolean renewed = registry.keepAlive(r.leaseId(), "s1").isPresent();
    clock.forwardTime(Duration.ofMillis(200));
    assertEquals(renewed ? 1 : 0, view.instanceCount());
    assertEquals(renewed ? List.of() : List.of("orders/a:EXPIRED"), removals);
  }
}
