package dev.vertice.bench;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.common.Ticker;
import dev.vertice.common.ZoneConfig;
import dev.vertice.gateway.balancer.Balancer;
import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.balancer.ZoneAwareBalancer;
import dev.vertice.gateway.resilience.Guards;
import dev.vertice.gateway.resilience.ResilienceConfig;
import dev.vertice.gateway.routing.Router;
import dev.vertice.gateway.routing.RoutingState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@code RoutingJmh} measures the gateway's routing decision (target: at most 1 µs): one read of
 * the immutable routing table built from pushed snapshots, the service lookup, and the balancer's
 * pick, through the gateway's own {@link Router}. {@code route} admits every instance; {@code
 * routeGuarded} is what the proxy does: each candidate's breaker is asked for a permission, which
 * is given back after the pick. The table holds {@code services} services of {@code instances}
 * SERVING HTTP instances each, for each policy, with and without zone-aware routing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingJmh {

  /** The balancing policy. */
  @Param({"least-request", "round-robin", "peak-ewma"})
  public String balancer;

  /**
   * The gateway's zone: {@code none} (zone-aware routing off) or {@code a}. Instances are in zones
   * {@code a} (3 of 10) and {@code b}, so a gateway in {@code a} keeps 60 % local and draws the zone
   * group on every pick.
   */
  @Param({"none", "a"})
  public String zone;

  /** Services in the routing table. */
  @Param({"1000"})
  public int services;

  /** Instances per service. */
  @Param({"10"})
  public int instances;

  private Router router;
  private String target;

  /** Builds the routing state from snapshots, as pushes do. */
  @Setup(Level.Trial)
  public void setUp() {
    ZoneConfig zones = "none".equals(zone) ? ZoneConfig.ofDefaults() : ZoneConfig.custom().zone(zone).build();
    RoutingState state = new RoutingState(ZoneAwareBalancer.wrap(Balancer.of(balancer), zones,
        ZoneAwareBalancer.ZoneObserver.NONE), new Guards(ResilienceConfig.ofDefaults(), Ticker.system()));
    for (int s = 0; s < services; s++) {
      String name = "svc-" + s;
      List<Instance> list = new ArrayList<>();
      for (int i = 0; i < instances; i++) {
        list.add(Instance.newBuilder().setService(name).setInstanceId("i" + i).setAddress("10.0." + (s % 250) + "." + i)
            .setPort(8080).setProtocol(Protocol.PROTOCOL_HTTP).setVersion("v1").setWeight(100 + i)
            .setZone(i % 4 == 0 ? "a" : "b")
            .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build());
      }
      state.onUpdate(new ServiceSnapshot(name, "1", list));
    }
    router = new Router(state);
    target = "svc-" + (services / 2);
    if (router.route(target, Protocol.PROTOCOL_HTTP, Balancer.Admission.ALL).outcome() != Router.Outcome.ROUTED) {
      throw new IllegalStateException("the table does not route " + target);
    }
    // Latency samples, so that peak-EWMA costs are computed (decay and all), not the no-sample shortcut.
    for (Endpoint e : state.table().http().get(target).subsets().get(0).picker().endpoints()) {
      e.begin();
      e.end(1_000_000L + e.weight() * 1000L);
    }
  }

  /** Table read, service lookup, balancer pick. */
  @Benchmark
  public Router.Decision route() {
    return router.route(target, Protocol.PROTOCOL_HTTP, Balancer.Admission.ALL);
  }

  /** The same with the instance breakers' permission, as the proxy routes (permission given back). */
  @Benchmark
  public Router.Decision routeGuarded() {
    Router.Decision d = router.route(target, Protocol.PROTOCOL_HTTP, Router.GUARDED);
    Router.guard(d.endpoint()).release();
    return d;
  }
}
