package dev.vertice.gateway.routing;

import dev.vertice.gateway.balancer.Balancer;
import dev.vertice.gateway.balancer.Endpoint;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code ServiceRoute} is how to reach one service over one protocol, as of one snapshot: its
 * version subsets (each with a picker over its SERVING instances) and their weights. Immutable
 * apart from the pickers' own atomic positions.
 *
 * <p>Without a traffic policy there is one subset, {@code version == null}, holding every SERVING
 * instance. With one, each subset that has at least one SERVING instance and a positive weight is
 * kept; a pick draws a subset by weight, then an instance of it. When the drawn subset admits no
 * instance (breakers open, ejected) the other subsets are tried in order, so one broken version
 * does not fail requests another version could serve.
 */
public final class ServiceRoute {

  private final String service;
  private final String endpointsVersion;
  private final String policyVersion;
  private final Subset[] subsets;
  private final long[] cumulative;
  private final long total;

  /**
   * {@code Subset} is one version subset of a route.
   *
   * @param version the version label, or null for "every version" (no policy)
   * @param weight the relative share
   * @param picker the picker over its SERVING instances
   */
  public record Subset(String version, int weight, Balancer.Picker picker) {}

  ServiceRoute(String service, String endpointsVersion, String policyVersion, List<Subset> subsets) {
    this.service = service;
    this.endpointsVersion = endpointsVersion;
    this.policyVersion = policyVersion;
    this.subsets = subsets.toArray(new Subset[0]);
    this.cumulative = new long[this.subsets.length];
    long sum = 0;
    for (int i = 0; i < this.subsets.length; i++) {
      sum += this.subsets[i].weight();
      cumulative[i] = sum;
    }
    this.total = sum;
  }

  /** {@code service} returns the canonical service name. */
  public String service() {
    return service;
  }

  /** {@code endpointsVersion} returns the version of the Endpoints resource this route was built from. */
  public String endpointsVersion() {
    return endpointsVersion;
  }

  /** {@code policyVersion} returns the version of the TrafficPolicy applied, or null when none. */
  public String policyVersion() {
    return policyVersion;
  }

  /** {@code subsets} returns the subsets that can receive traffic. */
  public List<Subset> subsets() {
    return List.of(subsets);
  }

  /** {@code hasInstances} returns whether any subset has a SERVING instance. */
  public boolean hasInstances() {
    return subsets.length > 0;
  }

  /**
   * {@code pick} returns an instance that {@code admit} accepts: first a subset by weight, then an
   * instance of it by the balancer; null when no instance is admitted (or none is SERVING).
   */
  public Endpoint pick(Balancer.Admission admit) {
    int n = subsets.length;
    if (n == 0) {
      return null;
    }
    int first = 0;
    if (n > 1) {
      long r = ThreadLocalRandom.current().nextLong(total);
      while (cumulative[first] <= r) {
        first++;
      }
    }
    Endpoint e = subsets[first].picker().pick(admit);
    for (int k = 1; e == null && k < n; k++) {
      e = subsets[(first + k) % n].picker().pick(admit);
    }
    return e;
  }
}
