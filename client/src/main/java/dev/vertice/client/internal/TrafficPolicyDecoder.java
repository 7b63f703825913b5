package dev.vertice.client.internal;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.client.TrafficPolicySnapshot;
import dev.vertice.common.ResourceTypes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code TrafficPolicyDecoder} reads {@code vertice.discovery.v1.TrafficPolicy} resources into
 * {@link TrafficPolicySnapshot}s: the policy must be for the service it is named for, its subset
 * versions non-empty and distinct, and each weight within 0..100 (a uint32, read unsigned).
 * Stateless and thread-safe.
 */
public final class TrafficPolicyDecoder extends ServiceResourceDecoder<TrafficPolicy, TrafficPolicySnapshot> {

  /** {@code TrafficPolicyDecoder} decodes responses of type {@link ResourceTypes#TRAFFIC_POLICY}. */
  public TrafficPolicyDecoder() {
    super(ResourceTypes.TRAFFIC_POLICY, TrafficPolicy.class, "vertice.discovery.v1.TrafficPolicy", "policy");
  }

  @Override
  TrafficPolicySnapshot convert(String name, String version, TrafficPolicy policy) throws Rejected {
    if (!name.equals(policy.getService())) {
      throw new Rejected("policy '" + name + "' is for service '" + clip(policy.getService()) + "'");
    }
    Set<String> versions = new HashSet<>();
    List<TrafficPolicySnapshot.Subset> subsets = new ArrayList<>();
    for (Subset sub : policy.getSubsetsList()) {
      if (sub.getVersion().isEmpty() || !versions.add(sub.getVersion())) {
        throw new Rejected("policy '" + name + "' has an empty or repeated subset version '"
            + clip(sub.getVersion()) + "'");
      }
      if (Integer.compareUnsigned(sub.getWeight(), 100) > 0) {
        throw new Rejected("policy '" + name + "' subset '" + clip(sub.getVersion()) + "' has weight "
            + Integer.toUnsignedString(sub.getWeight()) + " outside 0..100");
      }
      subsets.add(new TrafficPolicySnapshot.Subset(sub.getVersion(), sub.getWeight()));
    }
    return new TrafficPolicySnapshot(name, version, subsets, policy.getRolloutId());
  }
}
