package dev.vertice.gateway.routing;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.ServiceListener;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.TrafficPolicySnapshot;
import dev.vertice.common.PeakEwma;
import dev.vertice.gateway.balancer.Balancer;
import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.balancer.EndpointKey;
import dev.vertice.gateway.resilience.Guards;
import dev.vertice.gateway.resilience.InstanceGuard;
import dev.vertice.gateway.resilience.ServiceGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code RoutingState} turns pushed snapshots (Endpoints and TrafficPolicy per service) into
 * immutable {@link RoutingTable}s and publishes each one atomically: a pushed change applies to
 * the next request, and a request in progress keeps the table it read.
 *
 * <p>It is a {@link ServiceListener}: the watch client calls it on one serializing thread, which
 * makes it the only writer of the table. Per-instance state that must survive snapshots (requests
 * in flight, breaker, outlier detector) and per-service state (breaker, retry budget) is kept here,
 * keyed by {@link EndpointKey} and service name, and dropped when the instance or service leaves.
 * Reads ({@link #table()}, {@link #instanceGuard}, {@link #serviceGuard}) are lock-free.
 */
public final class RoutingState implements ServiceListener {

  private final Balancer balancer;
  private final Guards guards;
  private final Duration latencyDecay;
  private final AtomicReference<RoutingTable> table = new AtomicReference<>(RoutingTable.EMPTY);
  // written by the single listener thread (synchronized for callers that feed snapshots by hand)
  private final Map<String, ServiceSnapshot> endpoints = new HashMap<>();
  private final Map<String, TrafficPolicySnapshot> policies = new HashMap<>();
  private final ConcurrentHashMap<EndpointKey, InstanceRecord> instances = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ServiceGuard> services = new ConcurrentHashMap<>();
  private volatile java.util.function.Consumer<Set<EndpointKey>> onInstancesRemoved = keys -> {};

  /** Shared per-instance state. */
  private record InstanceRecord(AtomicInteger active, InstanceGuard guard, PeakEwma latency) {}

  /** {@code RoutingState} routes with {@code balancer} and creates resilience state with {@code guards}. */
  public RoutingState(Balancer balancer, Guards guards) {
    this(balancer, guards, PeakEwma.DEFAULT_DECAY);
  }

  /**
   * {@code RoutingState} routes with {@code balancer}, creates resilience state with {@code guards}
   * and keeps each instance's latency estimate with the decay time constant {@code latencyDecay},
   * timed by the guards' ticker.
   */
  public RoutingState(Balancer balancer, Guards guards, Duration latencyDecay) {
    this.balancer = Objects.requireNonNull(balancer, "balancer");
    this.guards = Objects.requireNonNull(guards, "guards");
    this.latencyDecay = Objects.requireNonNull(latencyDecay, "latencyDecay");
    if (latencyDecay.isNegative() || latencyDecay.isZero()) {
      throw new IllegalArgumentException("peak-ewma decay must be positive: " + latencyDecay);
    }
  }

  /**
   * {@code onInstancesRemoved} sets what to do with instances that left the snapshot (close their
   * connections); called on the listener thread after the new table is published.
   */
  public void onInstancesRemoved(java.util.function.Consumer<Set<EndpointKey>> action) {
    this.onInstancesRemoved = Objects.requireNonNull(action, "action");
  }

  /** {@code table} returns the current routing table. Lock-free. */
  public RoutingTable table() {
    return table.get();
  }

  /** {@code balancer} returns the balancing policy. */
  public Balancer balancer() {
    return balancer;
  }

  /** {@code instanceGuard} returns the breaker and outlier state of an endpoint. */
  public static InstanceGuard instanceGuard(Endpoint e) {
    return ((InstanceRecord) e.state()).guard();
  }

  /** {@code serviceGuard} returns the breaker and retry budget of {@code service}, creating them on first use. */
  public ServiceGuard serviceGuard(String service) {
    return services.computeIfAbsent(service, guards::newServiceGuard);
  }

  /** {@code endpointsSnapshot} returns the Endpoints snapshot the table was built from, or null. */
  public synchronized ServiceSnapshot endpointsSnapshot(String service) {
    return endpoints.get(service);
  }

  /** {@code policySnapshot} returns the TrafficPolicy applied to {@code service}, or null. */
  public synchronized TrafficPolicySnapshot policySnapshot(String service) {
    return policies.get(service);
  }

  /**
   * {@code inFlight} returns the requests in flight now, by service then version (instances with
   * none left out): the per-instance counters that least-request balancing reads, summed. For the
   * stats reporter (autoscaling); takes the listener's lock briefly, never on the request path.
   */
  public synchronized Map<String, Map<String, Integer>> inFlight() {
    Map<String, Map<String, Integer>> out = new HashMap<>();
    for (ServiceSnapshot snap : endpoints.values()) {
      for (Instance i : snap.instances()) {
        InstanceRecord rec = instances.get(new EndpointKey(snap.service(), i.getInstanceId(), i.getAddress(),
            i.getPort()));
        int n = rec == null ? 0 : rec.active().get();
        if (n > 0) {
          String version = i.getVersion().isEmpty() ? "v1" : i.getVersion();
          out.computeIfAbsent(snap.service(), k -> new HashMap<>()).merge(version, n, Integer::sum);
        }
      }
    }
    return out;
  }

  @Override
  public synchronized void onUpdate(ServiceSnapshot snapshot) {
    endpoints.put(snapshot.service(), snapshot);
    rebuild(snapshot.service());
  }

  @Override
  public synchronized void onRemoved(String service) {
    if (endpoints.remove(service) != null) {
      rebuild(service);
    }
  }

  @Override
  public synchronized void onPolicyUpdate(TrafficPolicySnapshot policy) {
    policies.put(policy.service(), policy);
    rebuild(policy.service());
  }

  @Override
  public synchronized void onPolicyRemoved(String service) {
    if (policies.remove(service) != null) {
      rebuild(service);
    }
  }

  /** Rebuilds the routes of one service and publishes a new table holding them. */
  private void rebuild(String service) {
    RoutingTable old = table.get();
    ServiceSnapshot snap = endpoints.get(service);
    Map<String, ServiceRoute> http = new HashMap<>(old.http());
    Map<String, ServiceRoute> grpc = new HashMap<>(old.grpc());
    Set<String> known = new HashSet<>(old.known());
    Set<EndpointKey> live = new HashSet<>();
    if (snap == null) {
      http.remove(service);
      grpc.remove(service);
      known.remove(service);
      services.remove(service);
    } else {
      known.add(service);
      TrafficPolicySnapshot policy = policies.get(service);
      http.put(service, build(snap, policy, false, live));
      grpc.put(service, build(snap, policy, true, live));
    }
    // Instances of this service that left the snapshot lose their state.
    Set<EndpointKey> gone = new HashSet<>();
    instances.keySet().removeIf(k -> {
      boolean remove = k.service().equals(service) && !live.contains(k);
      if (remove) {
        gone.add(k);
      }
      return remove;
    });
    table.set(new RoutingTable(old.generation() + 1, Map.copyOf(http), Map.copyOf(grpc), Set.copyOf(known)));
    if (!gone.isEmpty()) {
      onInstancesRemoved.accept(gone);
    }
  }

  private ServiceRoute build(ServiceSnapshot snap, TrafficPolicySnapshot policy, boolean grpc, Set<EndpointKey> live) {
    Map<String, List<Endpoint>> byVersion = new LinkedHashMap<>();
    List<Endpoint> all = new ArrayList<>();
    for (Instance i : snap.instances()) {
      EndpointKey key = new EndpointKey(snap.service(), i.getInstanceId(), i.getAddress(), i.getPort());
      live.add(key);
      if (i.getHealth() != HealthStatus.HEALTH_STATUS_SERVING || (i.getProtocol() == Protocol.PROTOCOL_GRPC) != grpc) {
        continue;
      }
      InstanceRecord rec = instances.computeIfAbsent(key,
          k -> new InstanceRecord(new AtomicInteger(), guards.newInstanceGuard(k.toString()),
              new PeakEwma(guards.ticker(), latencyDecay)));
      String version = i.getVersion().isEmpty() ? "v1" : i.getVersion();
      Endpoint e = new Endpoint(key, version, i.getZone(), Math.max(1, i.getWeight()), rec.active(), rec.latency(),
          rec);
      all.add(e);
      byVersion.computeIfAbsent(version, v -> new ArrayList<>()).add(e);
    }
    List<ServiceRoute.Subset> subsets = new ArrayList<>();
    if (policy == null || policy.subsets().isEmpty()) {
      if (!all.isEmpty()) {
        subsets.add(new ServiceRoute.Subset(null, 1, balancer.picker(List.copyOf(all))));
      }
    } else {
      for (TrafficPolicySnapshot.Subset s : policy.subsets()) {
        List<Endpoint> members = byVersion.get(s.version());
        if (s.weight() > 0 && members != null && !members.isEmpty()) {
          subsets.add(new ServiceRoute.Subset(s.version(), s.weight(), balancer.picker(List.copyOf(members))));
        }
      }
    }
    return new ServiceRoute(snap.service(), snap.version(), policy == null ? null : policy.version(), subsets);
  }
}
