package dev.vertice.controlplane.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.RemovalReason;
import dev.vertice.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RegistryStore} does, seen through the {@link RegistryView} it writes: run
 * against the in-memory store (fake clock) and against a real redis-server (real time, short
 * leases). Subclasses open stores; each store they open starts from an empty state.
 */
public abstract class RegistryStoreContract {

  protected static final Duration TTL = Duration.ofSeconds(2);
  protected static final Duration KEEPALIVE = Duration.ofSeconds(1);
  protected static final Duration GRACE = Duration.ofSeconds(1);

  /** Changes the view reported, as {@code name@version} (Endpoints) or {@code policy:name@version}. */
  protected final List<String> changes = Collections.synchronizedList(new ArrayList<>());
  /** Removals the store reported, as {@code service/id:REASON}. */
  protected final List<String> removals = Collections.synchronizedList(new ArrayList<>());
  private final List<RegistryStore> opened = new ArrayList<>();

  /**
   * Opens a store on an empty state that writes {@code view}, with {@code config}; started, and
   * closed by the contract.
   */
  protected abstract RegistryStore open(RegistryConfig config, RegistryView view, RegistryEvents events)
      throws Exception;

  /** Lets {@code d} pass for the leases' clock (a fake clock in memory, real time in Redis). */
  protected abstract void pass(Duration d) throws Exception;

  /** Whether time really passes, so waiting on a condition is needed. */
  protected abstract boolean realTime();

  /** Closes the stores opened; idempotent (subclasses call it before stopping what the stores use). */
  @AfterEach
  protected void closeStores() {
    opened.forEach(RegistryStore::close);
    opened.clear();
  }

  /** Opens a store on a new view whose changes are recorded in {@link #changes}. */
  protected Opened open(RegistryConfig config) throws Exception {
    RegistryView view = new RegistryView();
    view.addListener((type, name, version, at) ->
        changes.add((type.equals(ResourceTypes.ENDPOINTS) ? "" : "policy:") + name + "@" + version));
    RegistryStore store = open(config, view, new RegistryEvents() {
      @Override
      public void onRemoved(String service, String instanceId, RemovalReason reason) {
        removals.add(service + "/" + instanceId + ":" + reason);
      }
    });
    opened.add(store);
    return new Opened(store, view);
  }

  protected Opened open() throws Exception {
    return open(RegistryConfig.custom().grace(GRACE).maxInstances(3).build());
  }

  /** A store and the view it writes. */
  protected record Opened(RegistryStore store, RegistryView view) {}

  protected static Instance instance(String id) {
    return Instance.newBuilder().setService("orders").setInstanceId(id).setAddress("10.0.0.1").setPort(8080)
        .setProtocol(Protocol.PROTOCOL_HTTP).setVersion("v1").setWeight(100)
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build();
  }

  private void awaitCount(RegistryView view, int count, String what) throws Exception {
    if (realTime()) {
      Await.until(what, Duration.ofSeconds(10), () -> view.instanceCount() == count);
    }
    assertEquals(count, view.instanceCount(), what);
  }

  @Test
  void aRegistrationIsInTheViewWhenRegisterReturns() throws Exception {
    Opened o = open();
    Registration r = o.store().register(instance("a"), TTL, KEEPALIVE);
    assertTrue(r.created());
    assertEquals(1, r.resourceVersion());
    assertEquals(1, o.view().revision());
    assertEquals(List.of(instance("a")), o.view().service("orders").instances());
    assertEquals(1, o.view().endpointsSource().get("orders").version());
    assertEquals(List.of("orders@1"), changes);
    assertTrue(o.store().hasLease(r.leaseId()));
    assertEquals(Optional.of("orders"), o.store().leaseService(r.leaseId()));
    assertFalse(o.store().hasLease("no-such-lease"));
    assertEquals(Optional.empty(), o.store().leaseService("no-such-lease"));
  }

  private static RegistrationRequest entry(Instance instance) {
    return new RegistrationRequest(instance, TTL, KEEPALIVE);
  }

  /** Runs a batch, unwrapping the store's exception. */
  private static List<Registration> batch(RegistryStore store, Instance... instances) throws Exception {
    try {
      return store.registerBatch(java.util.Arrays.stream(instances).map(RegistryStoreContract::entry).toList())
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @Test
  void aBatchRegistersEveryEntryInOrder() throws Exception {
    Opened o = open();
    Registration a = o.store().register(instance("a"), TTL, KEEPALIVE);
    Instance b = instance("b").toBuilder().setService("payments").build();
    List<Registration> done = batch(o.store(), instance("a").toBuilder().setPort(9090).build(), b, instance(""));
    assertEquals(3, done.size());
    assertEquals(a.leaseId(), done.get(0).leaseId(), "an existing instance keeps its lease");
    assertFalse(done.get(0).created());
    assertTrue(done.get(1).created());
    assertTrue(done.get(2).instance().getInstanceId().startsWith("orders-"), "an empty id gets a generated one");
    assertEquals(3, o.view().instanceCount());
    assertEquals(9090, o.view().instance("orders", "a").getPort());
    assertEquals(b, o.view().instance("payments", "b"));
    for (Registration r : done) {
      assertEquals(o.view().service(r.instance().getService()).version(), r.resourceVersion(),
          "each result carries its service's version after the whole batch");
      assertTrue(o.store().hasLease(r.leaseId()));
    }
    assertEquals(4, o.view().revision(), "one revision per change");
  }

  @Test
  void aBatchOverTheRegistryLimitChangesNothing() throws Exception {
    Opened o = open(); // at most 3 instances
    o.store().register(instance("a"), TTL, KEEPALIVE);
    o.store().register(instance("b"), TTL, KEEPALIVE);
    List<String> before = List.copyOf(changes);
    long revision = o.view().revision();
    assertThrows(CapacityExceededException.class, () -> batch(o.store(),
        instance("a").toBuilder().setPort(9090).build(), instance("c"), instance("d")));
    assertEquals(2, o.view().instanceCount());
    assertEquals(8080, o.view().instance("orders", "a").getPort(), "the update in the batch was not applied");
    assertEquals(revision, o.view().revision());
    assertEquals(before, changes);
    // Exactly at the limit it fits.
    assertEquals(2, batch(o.store(), instance("a").toBuilder().setPort(9090).build(), instance("c")).size());
    assertEquals(3, o.view().instanceCount());
  }

  @Test
  void aBatchOverAServiceLimitChangesNothing() throws Exception {
    Opened o = open(RegistryConfig.custom().grace(GRACE).maxInstancesPerService(2).build());
    o.store().register(instance("a"), TTL, KEEPALIVE);
    Instance other = instance("x").toBuilder().setService("payments").build();
    CapacityExceededException e = assertThrows(CapacityExceededException.class,
        () -> batch(o.store(), other, instance("b"), instance("c")));
    assertTrue(e.getMessage().contains("orders"), e.getMessage());
    assertEquals(1, o.view().instanceCount(), "the other service's entry was not applied either");
    assertNull(o.view().service("payments"));
    assertEquals(List.of("orders@1"), changes);
  }

  @Test
  void anEmptyInstanceIdGetsAGeneratedOne() throws Exception {
    Opened o = open();
    Registration r = o.store().register(instance(""), TTL, KEEPALIVE);
    assertTrue(r.instance().getInstanceId().startsWith("orders-"), r.instance().getInstanceId());
    assertEquals(r.instance(), o.view().instance("orders", r.instance().getInstanceId()));
  }

  @Test
  void reRegisteringIsAnIdempotentUpsert() throws Exception {
    Opened o = open();
    Registration first = o.store().register(instance("a"), TTL, KEEPALIVE);
    pass(KEEPALIVE);
    Registration again = o.store().register(instance("a"), TTL, KEEPALIVE);
    assertEquals(first.leaseId(), again.leaseId(), "same lease");
    assertEquals(first.resourceVersion(), again.resourceVersion(), "nothing pushed changed: same version");
    assertFalse(again.created());
    assertEquals(List.of("orders@1"), changes);
    pass(KEEPALIVE.plusMillis(500));
    assertEquals(1, o.view().instanceCount(), "the repeat renewed the lease");

    Registration moved = o.store().register(instance("a").toBuilder().setPort(9090).build(), TTL, KEEPALIVE);
    assertEquals(first.leaseId(), moved.leaseId());
    assertNotEquals(first.resourceVersion(), moved.resourceVersion(), "a changed field is pushed");
    assertEquals(9090, o.view().service("orders").instances().get(0).getPort());
  }

  @Test
  void deregisterRemovesAtOnceAndReleasesTheLease() throws Exception {
    Opened o = open();
    Registration r = o.store().register(instance("a"), TTL, KEEPALIVE);
    long version = o.store().deregister("orders", "a");
    assertEquals(2, version);
    assertEquals(0, o.view().instanceCount());
    assertNull(o.view().service("orders"));
    assertNull(o.view().endpointsSource().get("orders"), "the Endpoints resource is gone");
    assertTrue(o.store().keepAlive(r.leaseId(), "s1").isEmpty());
    assertFalse(o.store().hasLease(r.leaseId()));
    assertThrows(NotFoundException.class, () -> o.store().deregister("orders", "a"));
    assertEquals(List.of("orders/a:DEREGISTERED"), removals);
    assertEquals(List.of("orders@1", "orders@2"), changes);
  }

  @Test
  void setHealthPushesOnlyRealChanges() throws Exception {
    Opened o = open();
    o.store().register(instance("a"), TTL, KEEPALIVE);
    long v = o.store().setHealth("orders", "a", HealthStatus.HEALTH_STATUS_NOT_SERVING);
    assertEquals(v, o.store().setHealth("orders", "a", HealthStatus.HEALTH_STATUS_NOT_SERVING));
    assertEquals(List.of("orders@1", "orders@2"), changes);
    assertEquals(0, o.view().services().get(0).serving());
    assertThrows(NotFoundException.class,
        () -> o.store().setHealth("orders", "zz", HealthStatus.HEALTH_STATUS_SERVING));
  }

  @Test
  void everyKeepAliveRenewsTheLeaseForItsFullTtl() throws Exception {
    Opened o = open();
    Registration r = o.store().register(instance("a"), TTL, KEEPALIVE);
    for (int i = 0; i < 4; i++) {
      pass(KEEPALIVE);
      OptionalLong left = o.store().keepAlive(r.leaseId(), "s1");
      assertEquals(TTL.toNanos(), left.orElseThrow());
    }
    assertEquals(1, o.view().instanceCount(), "4 s of keepalives outlive a 2 s TTL");
    pass(TTL.plusMillis(300));
    awaitCount(o.view(), 0, "the lease expired");
    assertTrue(o.store().keepAlive(r.leaseId(), "s1").isEmpty(), "an expired lease cannot be renewed");
    assertFalse(o.store().hasLease(r.leaseId()));
  }

  @Test
  void anExpiredLeaseRemovesItsInstance() throws Exception {
    Opened o = open();
    o.store().register(instance("a"), TTL, KEEPALIVE);
    o.store().register(instance("b"), TTL.multipliedBy(10), KEEPALIVE);
    pass(TTL.plusMillis(300));
    awaitCount(o.view(), 1, "a expired, b did not");
    assertNull(o.view().instance("orders", "a"));
    assertEquals(List.of("orders@1", "orders@2", "orders@3"), changes, "the removal was reported as a change");
  }

  @Test
  void brokenStreamGraceRemovesTheInstanceUnlessRenewedInTime() throws Exception {
    Opened o = open();
    Registration kept = o.store().register(instance("a"), TTL.multipliedBy(5), KEEPALIVE);
    Registration lost = o.store().register(instance("b"), TTL.multipliedBy(5), KEEPALIVE);
    o.store().keepAlive(kept.leaseId(), "s1");
    o.store().keepAlive(lost.leaseId(), "s1");
    o.store().keepAliveStreamEnded("s1", Set.of(kept.leaseId(), lost.leaseId()));
    pass(GRACE.dividedBy(2));
    assertTrue(o.store().keepAlive(kept.leaseId(), "s2").isPresent(), "a ping within the grace keeps the lease");
    pass(GRACE.plusMillis(300));
    awaitCount(o.view(), 1, "b removed after the grace, long before its TTL");
    assertEquals("a", o.view().service("orders").instances().get(0).getInstanceId());
  }

  @Test
  void theLateEndOfAStaleStreamDoesNotShortenALeaseKeptAliveOnANewOne() throws Exception {
    Opened o = open();
    Registration r = o.store().register(instance("a"), TTL, KEEPALIVE);
    o.store().keepAlive(r.leaseId(), "old");
    o.store().keepAlive(r.leaseId(), "new"); // the client reconnected before the old stream's end was noticed
    o.store().keepAliveStreamEnded("old", Set.of(r.leaseId()));
    pass(GRACE.plusMillis(300));
    assertEquals(1, o.view().instanceCount(), "no grace for a lease a newer stream keeps alive");
  }

  @Test
  void registrationsBeyondTheLimitAreRejectedAndChangeNothing() throws Exception {
    Opened o = open();
    o.store().register(instance("a"), TTL, KEEPALIVE);
    o.store().register(instance("b"), TTL, KEEPALIVE);
    o.store().register(instance("c"), TTL, KEEPALIVE);
    CapacityExceededException e =
        assertThrows(CapacityExceededException.class, () -> o.store().register(instance("d"), TTL, KEEPALIVE));
    assertTrue(e.getMessage().contains("3"), e.getMessage());
    assertEquals(3, o.view().instanceCount());
    o.store().register(instance("a").toBuilder().setZone("z1").build(), TTL, KEEPALIVE);
    assertEquals("z1", o.view().service("orders").instances().get(0).getZone(), "updates still work when full");
  }

  @Test
  void oneServiceCannotTakeMoreThanItsShareOfTheRegistry() throws Exception {
    Opened o = open(RegistryConfig.custom().maxInstances(10).maxInstancesPerService(2).build());
    o.store().register(instance("a"), TTL, KEEPALIVE);
    o.store().register(instance("b"), TTL, KEEPALIVE);
    CapacityExceededException e =
        assertThrows(CapacityExceededException.class, () -> o.store().register(instance("c"), TTL, KEEPALIVE));
    assertTrue(e.getMessage().contains("orders") && e.getMessage().contains("--max-instances-per-service"),
        e.getMessage());
    assertEquals(2, o.view().instanceCount());
    o.store().register(instance("a").toBuilder().setZone("z1").build(), TTL, KEEPALIVE);
    o.store().register(instance("a").toBuilder().setService("payments").build(), TTL, KEEPALIVE);
    assertEquals(3, o.view().instanceCount(), "another service still registers; updates of a full service still work");
    o.store().deregister("orders", "b");
    o.store().register(instance("c"), TTL, KEEPALIVE);
    assertEquals(3, o.view().instanceCount(), "a place freed by a deregistration is taken again");
  }

  @Test
  void trafficPoliciesShareTheRevisionsOfInstances() throws Exception {
    Opened o = open();
    o.store().register(instance("a"), TTL, KEEPALIVE);
    TrafficPolicy policy = TrafficPolicy.newBuilder().setService("orders")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(100)).build();
    long put = o.store().putTrafficPolicy(policy);
    assertEquals(2, put);
    assertEquals(put, o.store().putTrafficPolicy(policy), "an equal policy changes nothing");
    assertEquals(policy, o.view().trafficPolicy("orders").policy());
    assertEquals(put, o.view().trafficPolicySource().get("orders").version());
    assertEquals(1, o.view().trafficPolicyCount());
    assertEquals(OptionalLong.of(3), o.store().removeTrafficPolicy("orders"));
    assertEquals(OptionalLong.empty(), o.store().removeTrafficPolicy("orders"), "nothing left to remove");
    assertNull(o.view().trafficPolicy("orders"));
    assertEquals(List.of("orders@1", "policy:orders@2", "policy:orders@3"), changes);
    assertEquals(3, o.view().revision());
  }
}
