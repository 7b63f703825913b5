package dev.vertice.client;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code ServiceSnapshot} is one service's instances as last pushed by the control plane: an
 * immutable value, safe to share across threads and to keep while newer snapshots arrive.
 *
 * @param service the canonical service name
 * @param version the version of the service's Endpoints resource; opaque, compare only for
 *     equality
 * @param instances every instance whatever its health, in the order received (sorted by
 *     instance id)
 */
public record ServiceSnapshot(String service, String version, List<Instance> instances) {

  /** {@code ServiceSnapshot} copies {@code instances} into an immutable list. */
  public ServiceSnapshot {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(version, "version");
    instances = List.copyOf(instances);
  }

  /**
   * {@code serving} returns the instances whose health is {@code HEALTH_STATUS_SERVING}: the ones
   * that should receive traffic, in the same order. Computes a new list on each call (O(n)).
   */
  public List<Instance> serving() {
    List<Instance> out = new ArrayList<>(instances.size());
    for (Instance i : instances) {
      if (i.getHealth() == HealthStatus.HEALTH_STATUS_SERVING) {
        out.add(i);
      }
    }
    return List.copyOf(out);
  }
}
