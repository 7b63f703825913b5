package dev.vertice.gateway.balancer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.common.PeakEwma;
import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Peak-EWMA against least-request and round robin on a simulated fleet timed by a fake clock: three
 * instances answer in 2 ms, one in 52 ms (slowed by 50 ms), with 12 requests kept in flight.
 */
@Timeout(30)
class PeakEwmaBalancerTest {

  private static final long MS = 1_000_000L;

  private final FakeClock clock = new FakeClock();

  private Endpoint endpoint(String id, int weight) {
    return new Endpoint(new EndpointKey("svc", id, "127.0.0.1", 1000), "v1", "", weight, new AtomicInteger(),
        new PeakEwma(clock, Duration.ofSeconds(10)), null);
  }

  /** Runs {@code requests} requests, 12 in flight; returns the picks per instance id. */
  private Map<String, Integer> simulate(Balancer balancer, List<Endpoint> es, Map<String, Long> latency, int requests) {
    Balancer.Picker p = balancer.picker(es);
    Map<String, Integer> picks = new HashMap<>();
    AtomicInteger inFlight = new AtomicInteger();
    int sent = 0;
    while (sent < requests) {
      while (inFlight.get() < 12 && sent < requests) {
        Endpoint e = p.pick(Balancer.Admission.ALL);
        picks.merge(e.instanceId(), 1, Integer::sum);
        long nanos = latency.get(e.instanceId());
        e.begin();
        inFlight.incrementAndGet();
        sent++;
        clock.scheduler().schedule(() -> {
          e.end(nanos);
          inFlight.decrementAndGet();
        }, nanos, TimeUnit.NANOSECONDS);
      }
      clock.forwardTime(Duration.ofMillis(1));
    }
    clock.forwardTime(Duration.ofSeconds(1));
    return picks;
  }

  private Map<String, Integer> run(String policy) {
    List<Endpoint> es = List.of(endpoint("fast1", 1), endpoint("fast2", 1), endpoint("fast3", 1), endpoint("slow", 1));
    Map<String, Long> latency = Map.of("fast1", 2 * MS, "fast2", 2 * MS, "fast3", 2 * MS, "slow", 52 * MS);
    return simulate(Balancer.of(policy), es, latency, 10_000);
  }

  @Test
  void theSlowInstanceGetsAtMostTenPercentUnderPeakEwma() {
    Map<String, Double> slowShare = new HashMap<>();
    for (String policy : List.of("peak-ewma", "least-request", "round-robin")) {
      Map<String, Integer> picks = run(policy);
      slowShare.put(policy, picks.getOrDefault("slow", 0) / 10_000.0);
    }
    System.out.println("share of requests sent to the instance slowed by 50 ms (simulated, 12 in flight): "
        + slowShare);
    assertTrue(slowShare.get("peak-ewma") <= 0.10, "peak-ewma: " + slowShare);
    assertEquals(0.25, slowShare.get("round-robin"), 0.01, "round robin ignores latency");
  }

  @Test
  void aSlowInstanceIsTriedAgainOnceItsEstimateDecayed() {
    Endpoint fast = endpoint("fast", 1);
    Endpoint slow = endpoint("slow", 1);
    fast.latency().observe(2 * MS);
    slow.latency().observe(52 * MS);
    Balancer.Picker p = new PeakEwmaBalancer().picker(List.of(fast, slow));
    assertSame(fast, p.pick(Balancer.Admission.ALL));
    // The fast one stays busy: 10 requests in flight cost 2 ms × 11 = 22 ms.
    for (int i = 0; i < 10; i++) {
      fast.begin();
    }
    fast.latency().observe(2 * MS);
    assertSame(fast, p.pick(Balancer.Admission.ALL), "52 ms > 22 ms");
    // 10 s without a sample: the slow estimate decays to 52/e = 19 ms, below the busy fast one's
    // 22 ms (a fresh sample keeps the fast one's estimate at 2 ms).
    clock.forwardTime(Duration.ofSeconds(10));
    fast.latency().observe(2 * MS);
    assertSame(slow, p.pick(Balancer.Admission.ALL), "19 ms < 22 ms");
  }

  @Test
  void weightsAreHonouredAtEqualLatency() {
    Endpoint heavy = endpoint("heavy", 300);
    Endpoint light = endpoint("light", 100);
    Map<String, Long> latency = Map.of("heavy", 5 * MS, "light", 5 * MS);
    List<Endpoint> es = List.of(heavy, light);
    Map<String, Integer> picks = simulate(new PeakEwmaBalancer(), es, latency, 20_000);
    double share = picks.get("heavy") / 20_000.0;
    assertTrue(share > 0.70 && share < 0.80, "share of the weight-300 instance " + share);
  }
}
