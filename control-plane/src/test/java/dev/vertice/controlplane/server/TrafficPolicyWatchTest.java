package dev.vertice.controlplane.server;

import static dev.vertice.controlplane.server.WatchStream.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.Convergence;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import dev.vertice.controlplane.registry.TrafficPolicies;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.testkit.TestDeadlines;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** TrafficPolicy resources on the Watch stream, written through {@code ControlPlane.trafficPolicies()}. */
class TrafficPolicyWatchTest {

  private InProcessControlPlane cp;
  private TrafficPolicies policies;

  @BeforeEach
  void setUp() throws Exception {
    cp = new InProcessControlPlane();
    policies = cp.controlPlane.trafficPolicies();
  }

  @AfterEach
  void tearDown() {
    cp.close();
  }

  static TrafficPolicy split(String service, int stable, int candidate) {
    return TrafficPolicy.newBuilder().setService(service).setRolloutId("r-1")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(stable))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(candidate))
        .build();
  }

  private static void subscribe(WatchStream w, String... names) {
    w.send(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY).addAllSubscribe(List.of(names)));
  }

  private static TrafficPolicy policy(WatchResponse r, int i) {
    try {
      return r.getResources(i).getResource().unpack(TrafficPolicy.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aWatcherSeesPutUpdateAndRemovalOfAPolicy() throws Exception {
    WatchStream w = WatchStream.open(cp.channel, "gw-1");
    subscribe(w, "shop");
    WatchResponse absent = w.nextAcked();
    assertEquals(ResourceTypes.TRAFFIC_POLICY, absent.getTypeUrl());
    assertEquals(List.of("-shop"), names(absent));

    StoredTrafficPolicy first = policies.put(split("shop", 95, 5));
    WatchResponse put = w.next();
    assertEquals(List.of("shop@" + policies.version(first.revision())), names(put));
    assertEquals(split("shop", 95, 5), policy(put, 0));
    CompletableFuture<Convergence> converged = policies.whenConverged("shop", first.revision());
    assertFalse(converged.isDone(), "the watcher has not ACKed yet");
    w.ack(put);
    Convergence c = converged.get(5, TimeUnit.SECONDS);
    assertEquals(1, c.subscribers());
    assertEquals(0, c.nacks());
    assertTrue(c.complete());

    StoredTrafficPolicy second = policies.put(split("shop", 75, 25));
    assertTrue(second.revision() > first.revision());
    WatchResponse updated = w.nextAcked();
    assertEquals(List.of("shop@" + policies.version(second.revision())), names(updated));
    assertEquals(25, policy(updated, 0).getSubsets(1).getWeight());
    assertEquals(second, policies.get("shop").orElseThrow());

    long removal = policies.remove("shop").orElseThrow();
    assertTrue(removal > second.revision());
    assertEquals(List.of("-shop"), names(w.nextAcked()));
    assertTrue(policies.get("shop").isEmpty());
    assertTrue(policies.remove("shop").isEmpty(), "removing what is gone changes nothing");
    w.complete();
  }

  @Test
  void anEqualPolicyChangesNothingAndIsNotPushedAgain() throws Exception {
    StoredTrafficPolicy first = policies.put(split("shop", 95, 5));
    long revision = cp.controlPlane.registry().revision();
    StoredTrafficPolicy again = policies.put(split("SHOP", 95, 5));
    assertEquals(first.revision(), again.revision());
    assertEquals("shop", again.service(), "the service name is normalised");
    assertEquals(revision, cp.controlPlane.registry().revision());
  }

  @Test
  void aWildcardWatcherSeesEveryPolicyAndEndpointsAndPoliciesShareOneRevisionSequence() throws Exception {
    WatchStream w = WatchStream.open(cp.channel, "gw-1");
    subscribe(w, "*");
    assertEquals(List.of(), names(w.nextAcked()), "nothing yet");
    StoredTrafficPolicy a = policies.put(split("shop", 95, 5));
    RegisterResponse reg = RegistryServiceGrpc.newBlockingStub(cp.channel)
        .withInterceptors(TestDeadlines.grpc()).register(RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder().setService("shop").setInstanceId("i1").setAddress("127.0.0.1").setPort(80))
        .build());
    StoredTrafficPolicy b = policies.put(split("cart", 50, 50));
    assertEquals(policies.version(a.revision() + 1), reg.getResourceVersion(), "one sequence for both types");
    assertEquals(a.revision() + 2, b.revision());
    List<String> seen = new java.util.ArrayList<>();
    while (seen.size() < 2) {
      seen.addAll(names(w.nextAcked()));
    }
    assertEquals(List.of("shop@" + policies.version(a.revision()), "cart@" + policies.version(b.revision())), seen,
        "the Endpoints change is not on the TrafficPolicy subscription");
  }

  @Test
  void aResumingWatcherReceivesOnlyWhatChanged() throws Exception {
    StoredTrafficPolicy shop = policies.put(split("shop", 95, 5));
    StoredTrafficPolicy cart = policies.put(split("cart", 95, 5));
    StoredTrafficPolicy gone = policies.put(split("gone", 95, 5));
    String heldShop = policies.version(shop.revision());
    String heldGone = policies.version(gone.revision());
    StoredTrafficPolicy cartNow = policies.put(split("cart", 50, 50));
    policies.remove("gone");

    WatchStream w = WatchStream.open(cp.channel, "gw-2");
    w.send(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY).addSubscribe("*")
        .putAllInitialResourceVersions(Map.of("shop", heldShop, "cart", policies.version(cart.revision()),
            "gone", heldGone)));
    WatchResponse r = w.nextAcked();
    assertEquals(List.of("cart@" + policies.version(cartNow.revision()), "-gone"), names(r),
        "shop is held at its version: not resent");
  }

  @Test
  void aNackIsCountedAndTheWatcherKeepsItsSubscription() throws Exception {
    WatchStream w = WatchStream.open(cp.channel, "gw-1");
    subscribe(w, "shop");
    w.nextAcked();
    StoredTrafficPolicy p = policies.put(split("shop", 95, 5));
    CompletableFuture<Convergence> converged = policies.whenConverged("shop", p.revision());
    w.nack(w.next(), "unknown subset");
    Convergence c = converged.get(5, TimeUnit.SECONDS);
    assertEquals(1, c.nacks());
    StoredTrafficPolicy fixed = policies.put(split("shop", 90, 10));
    assertEquals(List.of("shop@" + policies.version(fixed.revision())), names(w.nextAcked()));
  }

  @Test
  void badPoliciesAreRejectedNamingEveryFieldAndChangeNothing() {
    long before = cp.controlPlane.registry().revision();
    var e = assertThrows(dev.vertice.controlplane.registry.InvalidTrafficPolicyException.class,
        () -> policies.put(TrafficPolicy.newBuilder().setService("Bad Name!")
            .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(101))
            .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(5))
            .addSubsets(Subset.newBuilder().setVersion("").setWeight(5))
            .addSubsets(Subset.newBuilder().setVersion("v3").setWeight(-1))
            .setRolloutId("white space")
            .build()));
    List<String> fields = e.violations().stream().map(v -> v.field()).toList();
    assertEquals(List.of("service", "subsets[0].weight", "subsets[1].version", "subsets[2].version",
        "subsets[3].weight", "rollout_id"), fields, e.getMessage());
    assertTrue(e.getMessage().contains("101 is outside 0-100"), e.getMessage());
    assertTrue(e.getMessage().contains("4294967295 is outside 0-100"), "uint32 shown unsigned: " + e.getMessage());

    TrafficPolicy.Builder many = TrafficPolicy.newBuilder().setService("shop");
    for (int i = 0; i <= TrafficPolicies.MAX_SUBSETS; i++) {
      many.addSubsets(Subset.newBuilder().setVersion("v" + i).setWeight(1));
    }
    var tooMany = assertThrows(dev.vertice.controlplane.registry.InvalidTrafficPolicyException.class,
        () -> policies.put(many.build()));
    assertTrue(tooMany.getMessage().contains("17 subsets; at most 16"), tooMany.getMessage());
    var allZero = assertThrows(dev.vertice.controlplane.registry.InvalidTrafficPolicyException.class,
        () -> policies.put(split("shop", 0, 0)));
    assertTrue(allZero.getMessage().contains("every weight is 0"), allZero.getMessage());
    assertThrows(dev.vertice.controlplane.registry.InvalidTrafficPolicyException.class,
        () -> policies.remove("no/such"));

    assertEquals(before, cp.controlPlane.registry().revision(), "nothing changed");
    assertTrue(policies.list().isEmpty());
  }

  @Test
  void theNumberOfPoliciesIsBounded() throws Exception {
    for (int i = 0; i < TrafficPolicies.MAX_POLICIES; i++) {
      policies.put(split("s" + i, 100, 0));
    }
    long before = cp.controlPlane.registry().revision();
    CapacityExceededException e = assertThrows(CapacityExceededException.class,
        () -> policies.put(split("one-more", 100, 0)));
    assertTrue(e.getMessage().contains("10000 services already have a traffic policy"), e.getMessage());
    assertEquals(before, cp.controlPlane.registry().revision());
    policies.put(split("s0", 50, 50)); // an update of a held policy is not a new one
    policies.remove("s1");
    policies.put(split("one-more", 100, 0));
    assertEquals(TrafficPolicies.MAX_POLICIES, policies.list().size());
  }
}
