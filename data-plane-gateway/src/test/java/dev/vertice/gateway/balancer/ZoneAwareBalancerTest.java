package dev.vertice.gateway.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.common.PeakEwma;
import dev.vertice.common.Ticker;
import dev.vertice.common.ZoneConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(20)
class ZoneAwareBalancerTest {

  private static final int REQUESTS = 10_000;
  private static final double TOLERANCE = 0.02; // ± 2 percentage points

  /** {@code count} endpoints in {@code zone}, named zone + index. */
  static List<Endpoint> zone(String zone, int count) {
    List<Endpoint> es = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      es.add(new Endpoint(new EndpointKey("svc", zone + i, "10.0.0." + i, 8080), "v1", zone, 1, new AtomicInteger(),
          new PeakEwma(Ticker.system(), PeakEwma.DEFAULT_DECAY), null));
    }
    return es;
  }

  private static List<Endpoint> concat(List<Endpoint> a, List<Endpoint> b) {
    List<Endpoint> all = new ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  /** Picks {@link #REQUESTS} times and returns the share of picks in zone {@code local}. */
  private static double localShare(Balancer.Picker p, String local, Map<String, Integer> perZone) {
    int hits = 0;
    for (int i = 0; i < REQUESTS; i++) {
      Endpoint e = p.pick(Balancer.Admission.ALL);
      perZone.merge(e.zone(), 1, Integer::sum);
      if (e.zone().equals(local)) {
        hits++;
      }
    }
    return (double) hits / REQUESTS;
  }

  private static ZoneAwareBalancer balancer(String delegate, ZoneConfig config, ZoneAwareBalancer.ZoneObserver o) {
    return new ZoneAwareBalancer(Balancer.of(delegate), config, o, new Random(42)::nextDouble);
  }

  @ParameterizedTest
  @ValueSource(strings = {"least-request", "round-robin", "peak-ewma"})
  void unequalZonesRouteLocalFirstAsTheirCapacityAllows(String delegate) {
    List<Endpoint> all = concat(zone("a", 2), zone("b", 6));
    // A gateway in zone a (2 of 8 instances, callers even over the 2 zones): a holds 25 % of the
    // capacity for 50 % of the callers, so half of its requests stay local and half spill to b.
    Map<String, Integer> seenA = new HashMap<>();
    double fromA = localShare(balancer(delegate, ZoneConfig.custom().zone("a").build(),
        ZoneAwareBalancer.ZoneObserver.NONE).picker(all), "a", seenA);
    assertEquals(0.5, fromA, TOLERANCE, "local share from zone a");
    // A gateway in zone b (75 % of the capacity) keeps everything local.
    Map<String, Integer> seenB = new HashMap<>();
    double fromB = localShare(balancer(delegate, ZoneConfig.custom().zone("b").build(),
        ZoneAwareBalancer.ZoneObserver.NONE).picker(all), "b", seenB);
    assertEquals(1.0, fromB, "local share from zone b");
    assertEquals(Map.of("b", REQUESTS), seenB);
  }

  @Test
  void losingHalfTheLocalZoneSpillsTheExcessOver() {
    Map<String, Integer> counts = new HashMap<>();
    ZoneAwareBalancer.ZoneObserver observer = (zone, local) -> counts.merge(zone + (local ? "/local" : "/remote"), 1,
        Integer::sum);
    ZoneAwareBalancer b = balancer("least-request", ZoneConfig.custom().zone("a").build(), observer);
    List<Endpoint> a = zone("a", 6);
    List<Endpoint> remote = zone("b", 4);
    // 6 of 10 local: 60 % of the capacity for 50 % of the callers, everything stays local.
    assertEquals(1.0, localShare(b.picker(concat(a, remote)), "a", new HashMap<>()));
    assertEquals(Map.of("a/local", REQUESTS), counts);
    counts.clear();
    // Three of a's instances stop serving: 3 of 7 (42.9 %) for 50 %, so 6/7 (85.7 %) stays local.
    Map<String, Integer> perZone = new HashMap<>();
    double share = localShare(b.picker(concat(a.subList(0, 3), remote)), "a", perZone);
    assertEquals(6.0 / 7, share, TOLERANCE, "local share after losing half the zone");
    assertEquals(perZone.get("a"), counts.get("a/local"));
    assertEquals(perZone.get("b"), counts.get("b/remote"));
  }

  @Test
  void anExplicitLocalShareSetsTheSpillPoint() {
    // Callers are 80 % in zone a, which holds 6 of 10 instances: 60 / 80 = 75 % stays local.
    ZoneAwareBalancer b = balancer("round-robin", ZoneConfig.custom().zone("a").localShare(0.8).build(),
        ZoneAwareBalancer.ZoneObserver.NONE);
    assertEquals(0.75, localShare(b.picker(concat(zone("a", 6), zone("b", 4))), "a", new HashMap<>()), TOLERANCE);
  }

  @Test
  void weightsCountAsCapacity() {
    // Two local instances of weight 3 against six remote of weight 1: 6 of 12 units, 50 %: all local.
    List<Endpoint> heavy = new ArrayList<>();
    for (Endpoint e : zone("a", 2)) {
      heavy.add(new Endpoint(e.key(), "v1", "a", 3, new AtomicInteger(), e.latency(), null));
    }
    ZoneAwareBalancer b = balancer("least-request", ZoneConfig.custom().zone("a").build(),
        ZoneAwareBalancer.ZoneObserver.NONE);
    assertEquals(1.0, localShare(b.picker(concat(heavy, zone("b", 6))), "a", new HashMap<>()));
  }

  @Test
  void belowTheMinimumClusterSizeZonesAreIgnored() {
    // 5 instances < 6: the delegate picks over all of them, so zone a gets its natural 1/5.
    ZoneAwareBalancer b = balancer("round-robin", ZoneConfig.custom().zone("a").build(),
        ZoneAwareBalancer.ZoneObserver.NONE);
    assertEquals(0.2, localShare(b.picker(concat(zone("a", 1), zone("b", 4))), "a", new HashMap<>()), 1e-9);
    // With the minimum lowered to 5, zone a (20 % for 50 %) keeps 40 %.
    ZoneAwareBalancer low = balancer("round-robin", ZoneConfig.custom().zone("a").minClusterSize(5).build(),
        ZoneAwareBalancer.ZoneObserver.NONE);
    assertEquals(0.4, localShare(low.picker(concat(zone("a", 1), zone("b", 4))), "a", new HashMap<>()), TOLERANCE);
  }

  @Test
  void noZoneSetLeavesTheBalancerAsItIs() {
    Balancer plain = Balancer.of("least-request");
    assertSame(plain, ZoneAwareBalancer.wrap(plain, ZoneConfig.ofDefaults(), ZoneAwareBalancer.ZoneObserver.NONE));
    assertTrue(ZoneAwareBalancer.wrap(plain, ZoneConfig.custom().zone("a").build(),
        ZoneAwareBalancer.ZoneObserver.NONE) instanceof ZoneAwareBalancer);
  }

  @Test
  void aZoneThatAdmitsNobodyFallsBackToTheOthers() {
    List<Endpoint> a = zone("a", 6);
    List<Endpoint> all = concat(a, zone("b", 4));
    Balancer.Picker p = balancer("least-request", ZoneConfig.custom().zone("a").build(),
        ZoneAwareBalancer.ZoneObserver.NONE).picker(all);
    for (int i = 0; i < 100; i++) {
      Endpoint e = p.pick(x -> !x.zone().equals("a")); // every local breaker open
      assertEquals("b", e.zone());
    }
  }
}
