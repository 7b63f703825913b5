package dev.vertice.controlplane.registry;

import dev.vertice.api.discovery.v1.TrafficPolicy;
import java.util.Objects;

/**
 * {@code StoredTrafficPolicy} is the TrafficPolicy of one service as the store holds it.
 *
 * @param service the canonical service name (the resource name)
 * @param policy the validated, normalised policy
 * @param revision the store revision of its last change (the resource version is {@code
 *     <epoch>-<revision>}, see {@link TrafficPolicies#version})
 */
public record StoredTrafficPolicy(String service, TrafficPolicy policy, long revision) {

  public StoredTrafficPolicy {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(policy, "policy");
  }
}
