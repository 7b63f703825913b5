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
import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InMemoryRegistryStoreTest {

  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration KEEPALIVE = Duration.ofSeconds(5);

  private final FakeClock clock = new FakeClock();
  private final List<String> changes = new ArrayList<>();
  private final List<String> removals = new ArrayList<>();
  private final RegistryView view = new RegistryView();
  private InMemoryRegistryStore registry;

  @BeforeEach
  void setUp() {
    AtomicInteger ids = new AtomicInteger();
    registry = new InMemoryRegistryStore(RegistryConfig.custom().grace(Duration.ofSeconds(5)).maxInstances(3).build(),
        view, clock, clock.scheduler(), () -> String.format("%032d", ids.incrementAndGet()), new RegistryEvents() {
          @Override
          public void onRemoved(String service, String instanceId, RemovalReason reason) {
            removals.add(service + "/" + instanceId + ":" + reason);
          }
        });
    view.addListener((type, name, version, at) -> {
      assertEquals(ResourceTypes.ENDPOINTS, type);
      changes.add(name + "@" + version);
    });
  }

  @AfterEach
  void tearDown() {
    registry.close();
  }

  private static Instance instance(String id) {
    return Instance.newBuilder().setService("orders").setInstanceId(id).setAddress("10.0.0.1").setPort(8080)
        .setProtocol(Protocol.PROTOCOL_HTTP).setVersion("v1").setWeight(100)
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build();
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
  void theLateEndOfAStaleStreamDoesNotShortenALeaseKeptAliveOnANewOne() throws Exception {
    Registration r = registry.register(instance("a"), TTL, KEEPALIVE);
    registry.keepAlive(r.leaseId(), "old");
    registry.keepAlive(r.leaseId(), "new"); // the client reconnected before the old stream's end was noticed
    registry.keepAliveStreamEnded("old", Set.of(r.leaseId()));
    clock.forwardTime(Duration.ofSeconds(9));
    assertEquals(1, view.instanceCount(), "no grace for a lease a newer stream keeps alive");
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
  void reRegisteringIsAnIdempotentUpsert() throws Exception {
    Registration first = registry.register(instance("a"), TTL, KEEPALIVE);
    clock.forwardTime(Duration.ofSeconds(8));
    Registration again = registry.register(instance("a"), TTL, KEEPALIVE);
    assertEquals(first.leaseId(), again.leaseId(), "same lease");
    assertEquals(first.resourceVersion(), again.resourceVersion(), "nothing pushed changed: same version");
    assertFalse(again.created());
    assertEquals(List.of("orders@1"), changes);
    clock.forwardTime(Duration.ofSeconds(8));
    assertEquals(1, view.instanceCount(), "the repeat renewed the lease");

    Registration moved = registry.register(instance("a").toBuilder().setPort(9090).build(), TTL, KEEPALIVE);
    assertEquals(first.leaseId(), moved.leaseId());
    assertNotEquals(first.resourceVersion(), moved.resourceVersion(), "a changed field is pushed");
    assertEquals(9090, view.service("orders").instances().get(0).getPort());
  }

  @Test
  void deregisterRemovesAtOnceAndReleasesTheLease() throws Exception {
    Registration r = registry.register(instance("a"), TTL, KEEPALIVE);
    registry.deregister("orders", "a");
    assertEquals(0, view.instanceCount());
    assertTrue(registry.keepAlive(r.leaseId(), "s1").isEmpty());
    assertThrows(NotFoundException.class, () -> registry.deregister("orders", "a"));
    assertEquals(List.of("orders/a:DEREGISTERED"), removals);
  }

  @Test
  void setHealthPushesOnlyRealChanges() throws Exception {
    registry.register(instance("a"), TTL, KEEPALIVE);
    long v = registry.setHealth("orders", "a", HealthStatus.HEALTH_STATUS_NOT_SERVING);
    assertEquals(v, registry.setHealth("orders", "a", HealthStatus.HEALTH_STATUS_NOT_SERVING));
    assertEquals(List.of("orders@1", "orders@2"), changes);
    assertEquals(0, view.services().get(0).serving());
    assertThrows(NotFoundException.class, () -> registry.setHealth("orders", "zz", HealthStatus.HEALTH_STATUS_SERVING));
  }

  @Test
  void oneServiceCannotTakeMoreThanItsShareOfTheRegistry() throws Exception {
    AtomicInteger leases = new AtomicInteger();
    RegistryView rView = new RegistryView();
    InMemoryRegistryStore r = new InMemoryRegistryStore(
        RegistryConfig.custom().maxInstances(10).maxInstancesPerService(2).build(), rView, clock, clock.scheduler(),
        () -> String.format("%032d", leases.incrementAndGet()), RegistryEvents.NONE);
    r.register(instance("a"), TTL, KEEPALIVE);
    r.register(instance("b"), TTL, KEEPALIVE);
    CapacityExceededException e =
        assertThrows(CapacityExceededException.class, () -> r.register(instance("c"), TTL, KEEPALIVE));
    assertTrue(e.getMessage().contains("orders") && e.getMessage().contains("--max-instances-per-service"),
        e.getMessage());
    assertEquals(2, rView.instanceCount());
    r.register(instance("a").toBuilder().setZone("z1").build(), TTL, KEEPALIVE);
    r.register(instance("a").toBuilder().setService("payments").build(), TTL, KEEPALIVE);
    assertEquals(3, rView.instanceCount(), "another service still registers; updates of a full service still work");
    r.deregister("orders", "b");
    r.register(instance("c"), TTL, KEEPALIVE);
    assertEquals(3, rView.instanceCount(), "a place freed by a deregistration is taken again");
  }

  @Test
  void registrationsBeyondTheLimitAreRejectedAndChangeNothing() throws Exception {
    registry.register(instance("a"), TTL, KEEPALIVE);
    registry.register(instance("b"), TTL, KEEPALIVE);
    registry.register(instance("c"), TTL, KEEPALIVE);
    CapacityExceededException e =
        assertThrows(CapacityExceededException.class, () -> registry.register(instance("d"), TTL, KEEPALIVE));
    assertTrue(e.getMessage().contains("3"), e.getMessage());
    assertEquals(3, view.instanceCount());
    registry.register(instance("a").toBuilder().setZone("z1").build(), TTL, KEEPALIVE);
    assertEquals("z1", view.service("orders").instances().get(0).getZone(), "updates still work when full");
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
