package dev.vertice.client;

import java.util.List;
import java.util.Objects;

/**
 * {@code TrafficPolicySnapshot} is one service's traffic split as last pushed by the control plane
 * (resource {@code vertice.discovery.v1.TrafficPolicy}): an immutable value.
 *
 * <p>Semantics (from the API): a router first picks a subset by weight among the subsets that have
 * at least one SERVING instance, then an instance of that subset; instances whose version is in no
 * subset receive no traffic while the policy has subsets. An empty {@code subsets} list means no
 * split.
 *
 * @param service the canonical service name
 * @param version the resource version; opaque, compare only for equality
 * @param subsets the version subsets in the order received
 * @param rolloutId the rollout that wrote the policy, may be empty
 */
public record TrafficPolicySnapshot(String service, String version, List<Subset> subsets, String rolloutId) {

  /** {@code TrafficPolicySnapshot} copies {@code subsets} into an immutable list. */
  public TrafficPolicySnapshot {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(rolloutId, "rolloutId");
    subsets = List.copyOf(subsets);
  }

  /**
   * {@code Subset} is the instances of one version label and their relative share.
   *
   * @param version the version label, for example {@code "v2"}
   * @param weight the relative share, 0-100 (0 receives no traffic)
   */
  public record Subset(String version, int weight) {
    /** {@code Subset} checks the version and the weight. */
    public Subset {
      Objects.requireNonNull(version, "version");
      if (weight < 0) {
        throw new IllegalArgumentException("subset weight must not be negative: " + weight);
      }
    }
  }
}
