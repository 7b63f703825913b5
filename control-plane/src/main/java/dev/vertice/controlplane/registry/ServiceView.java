package dev.vertice.controlplane.registry;

import dev.vertice.api.registry.v1.Instance;
import java.util.List;

/**
 * {@code ServiceView} is an immutable copy of one service's instances.
 *
 * @param service canonical service name
 * @param version the service's Endpoints version
 * @param instances the instances, sorted by instance id
 */
public record ServiceView(String service, long version, List<Instance> instances) {

  public ServiceView {
    instances = List.copyOf(instances);
  }
}
