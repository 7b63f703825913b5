package dev.vertice.client.internal;

import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.common.ResourceTypes;

/**
 * {@code EndpointsDecoder} reads {@code vertice.discovery.v1.Endpoints} resources into {@link
 * ServiceSnapshot}s: the resource must hold the endpoints of the service it is named for, and every
 * instance must belong to that service and have an id, an address and a port in 1..65535.
 * Stateless and thread-safe.
 */
public final class EndpointsDecoder extends ServiceResourceDecoder<Endpoints, ServiceSnapshot> {

  /** {@code EndpointsDecoder} decodes responses of type {@link ResourceTypes#ENDPOINTS}. */
  public EndpointsDecoder() {
    super(ResourceTypes.ENDPOINTS, Endpoints.class, "vertice.discovery.v1.Endpoints", "resource");
  }

  @Override
  ServiceSnapshot convert(String name, String version, Endpoints endpoints) throws Rejected {
    if (!name.equals(endpoints.getService())) {
      throw new Rejected("resource '" + name + "' holds endpoints of service '" + clip(endpoints.getService()) + "'");
    }
    for (Instance i : endpoints.getInstancesList()) {
      if (!name.equals(i.getService()) || i.getInstanceId().isEmpty() || i.getAddress().isEmpty()
          || i.getPort() < 1 || i.getPort() > 65535) {
        throw new Rejected("resource '" + name + "' has an invalid instance '" + clip(i.getInstanceId())
            + "' (service '" + clip(i.getService()) + "', address '" + clip(i.getAddress()) + "', port "
            + i.getPort() + ")");
      }
    }
    return new ServiceSnapshot(name, version, endpoints.getInstancesList());
  }
}
