package dev.vertice.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.TrafficPolicySnapshot;
import dev.vertice.common.ZoneConfig;
import dev.vertice.gateway.balancer.Balancer;
import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.balancer.ZoneAwareBalancer;
import dev.vertice.gateway.resilience.Guards;
import dev.vertice.gateway.resilience.ResilienceConfig;
import dev.vertice.testkit.FakeClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Zone-aware routing through the gateway's routing state: canary weights first, zones second. */
@Timeout(20)
class ZoneRoutingTest {

  private static final int REQUESTS = 10_000;

  private static Instance instance(String id, String version, String zone, HealthStatus health) {
    return Instance.newBuilder().setService("shop").setInstanceId(id).setAddress("10.0.0.1").setPort(8080)
        .setProtocol(Protocol.PROTOCOL_HTTP).setVersion(version).setZone(zone).setWeight(100).setHealth(health)
        .build();
  }

  /** {@code count} SERVING instances of {@code version} in {@code zone}. */
  private static List<Instance> instances(String version, String zone, int count) {
    List<Instance> list = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      list.add(instance(version + "-" + zone + "-" + i, version, zone, HealthStatus.HEALTH_STATUS_SERVING));
    }
    return list;
  }

  private static RoutingState state(ZoneConfig zone) {
    Balancer b = ZoneAwareBalancer.wrap(Balancer.of("least-request"), zone, ZoneAwareBalancer.ZoneObserver.NONE);
    if (b instanceof ZoneAwareBalancer) {
      b = new ZoneAwareBalancer(Balancer.of("least-request"), zone, ZoneAwareBalancer.ZoneObserver.NONE,
          new Random(7)::nextDouble);
    }
    return new RoutingState(b, new Guards(ResilienceConfig.ofDefaults(), new FakeClock()));
  }

  /** Routes {@link #REQUESTS} requests; returns the count per "version/zone". */
  private static Map<String, Integer> route(RoutingState state) {
    Router router = new Router(state);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < REQUESTS; i++) {
      Endpoint e = router.route("shop", Protocol.PROTOCOL_HTTP, Balancer.Admission.ALL).endpoint();
      counts.merge(e.version() + "/" + e.zone(), 1, Integer::sum);
    }
    return counts;
  }

  private static double share(Map<String, Integer> counts, String key) {
    return counts.getOrDefault(key, 0) / (double) REQUESTS;
  }

  @Test
  void canaryWeightsApplyFirstThenZonesWithinEachVersion() {
    RoutingState state = state(ZoneConfig.custom().zone("a").build());
    List<Instance> all = new ArrayList<>();
    all.addAll(instances("v1", "a", 2));
    all.addAll(instances("v1", "b", 6));
    all.addAll(instances("v2", "a", 4));
    all.addAll(instances("v2", "b", 4));
    state.onUpdate(new ServiceSnapshot("shop", "1", all));
    state.onPolicyUpdate(new TrafficPolicySnapshot("shop", "p1",
        List.of(new TrafficPolicySnapshot.Subset("v1", 80), new TrafficPolicySnapshot.Subset("v2", 20)), "r-1"));
    Map<String, Integer> counts = route(state);
    // Versions keep their 80/20 split.
    assertEquals(0.80, share(counts, "v1/a") + share(counts, "v1/b"), 0.02, counts.toString());
    // v1 holds 25 % of its capacity in zone a (for 50 % of callers): half of v1 stays local.
    assertEquals(0.40, share(counts, "v1/a"), 0.02, counts.toString());
    // v2 holds 50 % in zone a: all of v2 stays local.
    assertEquals(0.20, share(counts, "v2/a"), 0.02, counts.toString());
    assertEquals(0, share(counts, "v2/b"), counts.toString());
  }

  @Test
  void instancesThatStopServingShrinkTheLocalCapacity() {
    RoutingState state = state(ZoneConfig.custom().zone("a").build());
    List<Instance> all = new ArrayList<>(instances("v1", "a", 6));
    all.addAll(instances("v1", "b", 4));
    state.onUpdate(new ServiceSnapshot("shop", "1", all));
    assertEquals(1.0, share(route(state), "v1/a"));
    // Half of zone a turns NOT_SERVING: 3 of 7 SERVING instances local, 6/7 of requests stay local.
    for (int i = 0; i < 3; i++) {
      all.set(i, all.get(i).toBuilder().setHealth(HealthStatus.HEALTH_STATUS_NOT_SERVING).build());
    }
    state.onUpdate(new ServiceSnapshot("shop", "2", all));
    assertEquals(6.0 / 7, share(route(state), "v1/a"), 0.02);
  }

  @Test
  void withoutAZoneEveryInstanceIsAlike() {
    RoutingState state = state(ZoneConfig.ofDefaults());
    List<Instance> all = new ArrayList<>(instances("v1", "a", 2));
    all.addAll(instances("v1", "b", 6));
    state.onUpdate(new ServiceSnapshot("shop", "1", all));
    assertEquals(0.25, share(route(state), "v1/a"), 0.02);
  }
}
