package dev.vertice.controlplane.server;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code KnownSeries} says whether reported stats name a (service, version) the registry knows: a
 * version with at least one instance (any health) or one named by the service's TrafficPolicy. A
 * version named by a rollout's policy (one with a rollout id) is a rollout series, kept beyond the
 * stats store's series limit.
 *
 * <p>Reads the local registry view; the versions of each service are cached until the service's
 * Endpoints version changes, so a check costs two map reads. Thread-safe.
 */
final class KnownSeries {

  /** What a (service, version) is to the stats store. */
  enum Kind {
    /** Neither an instance nor a policy names it: its stats are not kept. */
    UNKNOWN,
    /** An instance runs it. */
    KNOWN,
    /** A rollout's policy names it: its series is always kept. */
    ROLLOUT
  }

  private record Versions(long endpointsVersion, Set<String> versions) {}

  private final RegistryView view;
  private final ConcurrentHashMap<String, Versions> cache = new ConcurrentHashMap<>();

  KnownSeries(RegistryView view) {
    this.view = view;
  }

  /** Returns what {@code version} of {@code service} (canonical) is. */
  Kind of(String service, String version) {
    StoredTrafficPolicy policy = view.trafficPolicy(service);
    boolean inPolicy = false;
    if (policy != null) {
      for (Subset s : policy.policy().getSubsetsList()) {
        if (s.getVersion().equals(version)) {
          if (!policy.policy().getRolloutId().isEmpty()) {
            return Kind.ROLLOUT;
          }
          inPolicy = true;
        }
      }
    }
    return inPolicy || versions(service).contains(version) ? Kind.KNOWN : Kind.UNKNOWN;
  }

  private Set<String> versions(String service) {
    long current = view.version(service);
    if (current == 0) {
      cache.remove(service);
      return Set.of();
    }
    Versions cached = cache.get(service);
    if (cached != null && cached.endpointsVersion() == current) {
      return cached.versions();
    }
    ServiceView sv = view.service(service);
    if (sv == null) {
      cache.remove(service);
      return Set.of();
    }
    Set<String> versions = new HashSet<>();
    for (Instance i : sv.instances()) {
      versions.add(i.getVersion());
    }
    Versions fresh = new Versions(sv.version(), Set.copyOf(versions));
    cache.put(service, fresh);
    return fresh.versions();
  }
}
