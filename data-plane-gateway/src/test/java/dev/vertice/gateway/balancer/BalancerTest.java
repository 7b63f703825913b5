package dev.vertice.gateway.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BalancerTest {

  private static Endpoint endpoint(String id, int weight) {
    return new Endpoint(new EndpointKey("svc", id, "127.0.0.1", 1000), "v1", weight, new AtomicInteger(), null);
  }

  @Test
  void roundRobinInterleavesByWeight() {
    List<Endpoint> es = List.of(endpoint("a", 5), endpoint("b", 1), endpoint("c", 1));
    Balancer.Picker p = new WeightedRoundRobinBalancer().picker(es);
    StringBuilder order = new StringBuilder();
    for (int i = 0; i < 7; i++) {
      order.append(p.pick(Balancer.Admission.ALL).instanceId());
    }
    assertEquals("aabacaa", order.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"least-request", "round-robin", "peak-ewma"})
  void weightsAreHonoured(String name) {
    List<Endpoint> es = List.of(endpoint("a", 300), endpoint("b", 100));
    Balancer.Picker p = Balancer.of(name).picker(es);
    Map<String, Integer> counts = new HashMap<>();
    // Requests stay in flight for a while (40 at a time), as under load: least-request balances
    // in-flight requests per unit of weight.
    java.util.ArrayDeque<Endpoint> inFlight = new java.util.ArrayDeque<>();
    for (int i = 0; i < 20_000; i++) {
      Endpoint e = p.pick(Balancer.Admission.ALL);
      counts.merge(e.instanceId(), 1, Integer::sum);
      e.begin();
      inFlight.add(e);
      if (inFlight.size() > 40) {
        inFlight.poll().end();
      }
    }
    double share = counts.get("a") / 20_000.0;
    assertTrue(share > 0.70 && share < 0.80, name + ": share of the weight-300 instance " + share);
  }

  @Test
  void leastRequestPrefersTheLessLoadedOfTwo() {
    Endpoint busy = endpoint("busy", 100);
    Endpoint idle = endpoint("idle", 100);
    for (int i = 0; i < 10; i++) {
      busy.begin();
    }
    Balancer.Picker p = new PowerOfTwoChoicesBalancer().picker(List.of(busy, idle));
    for (int i = 0; i < 100; i++) {
      assertEquals("idle", p.pick(Balancer.Admission.ALL).instanceId());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"least-request", "round-robin", "peak-ewma"})
  void unadmittedEndpointsAreSkippedAndNoneAdmittedGivesNull(String name) {
    List<Endpoint> es = List.of(endpoint("a", 1), endpoint("b", 1), endpoint("c", 1));
    Balancer.Picker p = Balancer.of(name).picker(es);
    for (int i = 0; i < 100; i++) {
      assertEquals("c", p.pick(e -> e.instanceId().equals("c")).instanceId());
    }
    assertNull(p.pick(e -> false));
  }

  @Test
  void unknownBalancerIsRejectedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Balancer.of("random"));
    assertTrue(e.getMessage().contains("'random'"), e.getMessage());
  }
}
