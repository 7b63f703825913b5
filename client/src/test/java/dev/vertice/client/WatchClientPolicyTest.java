package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.testkit.Await;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** TrafficPolicy resources watched on the same stream as Endpoints, against a real control plane. */
class WatchClientPolicyTest {

  private TestControlPlane cp;
  private WatchClient watch;

  @BeforeEach
  void setUp() {
    cp = TestControlPlane.start();
  }

  @AfterEach
  void tearDown() {
    if (watch != null) {
      watch.close();
    }
    cp.close();
  }

  private void put(int v1, int v2) throws Exception {
    cp.controlPlane.trafficPolicies().put(TrafficPolicy.newBuilder().setService("shop")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(v1))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(v2)).setRolloutId("r1").build());
  }

  @Test
  void policiesArriveChangeAndLeaveWithListenersTold() throws Exception {
    cp.register("shop", "a", 8080);
    put(90, 10);
    watch = WatchClient.builder().controlPlane(cp.address()).watchTrafficPolicies(true).build();
    List<String> events = new CopyOnWriteArrayList<>();
    watch.addListener(new ServiceListener() {
      @Override
      public void onUpdate(ServiceSnapshot snapshot) {}

      @Override
      public void onRemoved(String service) {}

      @Override
      public void onPolicyUpdate(TrafficPolicySnapshot policy) {
        events.add("update " + policy.subsets());
      }

      @Override
      public void onPolicyRemoved(String service) {
        events.add("removed " + service);
      }
    });
    watch.subscribeAll();
    Await.until("policy cached", () -> watch.policy("shop").isPresent());
    Await.until("synced", watch::isSynced);
    TrafficPolicySnapshot p = watch.policy("SHOP").orElseThrow();
    assertEquals(List.of(new TrafficPolicySnapshot.Subset("v1", 90), new TrafficPolicySnapshot.Subset("v2", 10)),
        p.subsets());
    assertEquals("r1", p.rolloutId());
    put(50, 50);
    Await.until("policy changed", () -> watch.policy("shop").orElseThrow().subsets().get(1).weight() == 50);
    cp.controlPlane.trafficPolicies().remove("shop");
    Await.until("policy removed", () -> watch.policy("shop").isEmpty());
    Await.until("listener told", () -> events.size() == 3);
    assertTrue(events.get(0).startsWith("update"), events.toString());
    assertTrue(events.get(1).contains("weight=50"), events.toString());
    assertEquals("removed shop", events.get(2));
    assertTrue(watch.get("shop").isPresent(), "endpoints are unaffected");
  }

  @Test
  void withoutTheOptionNoPolicyIsWatched() throws Exception {
    cp.register("shop", "a", 8080);
    put(90, 10);
    watch = WatchClient.builder().controlPlane(cp.address()).build();
    watch.subscribeAll();
    Await.until("endpoints cached", () -> watch.get("shop").isPresent());
    assertTrue(watch.policies().isEmpty());
  }
}
