package dev.vertice.gateway.routing;

import dev.vertice.api.registry.v1.Protocol;
import java.util.Map;

/**
 * {@code RoutingTable} is one immutable routing snapshot: per service, its HTTP route and its gRPC
 * route (instances registered with protocol {@code grpc} serve the gRPC port, the others the HTTP
 * port). Published whole by {@link RoutingState}; a request reads one table and keeps it.
 *
 * @param generation increases with every table published
 * @param http routes of HTTP instances, by canonical service name
 * @param grpc routes of gRPC instances, by canonical service name
 * @param known every service the snapshot holds (whatever its instances' protocol and health)
 */
public record RoutingTable(long generation, Map<String, ServiceRoute> http, Map<String, ServiceRoute> grpc,
    java.util.Set<String> known) {

  /** The empty table, before the first push. */
  public static final RoutingTable EMPTY = new RoutingTable(0, Map.of(), Map.of(), java.util.Set.of());

  /**
   * {@code route} returns the route of {@code service} (canonical name) for {@code protocol}, or
   * null when the snapshot holds no instance of it for that protocol.
   */
  public ServiceRoute route(String service, Protocol protocol) {
    return protocol == Protocol.PROTOCOL_GRPC ? grpc.get(service) : http.get(service);
  }

  /** {@code knows} returns whether the snapshot holds the service at all. */
  public boolean knows(String service) {
    return known.contains(service);
  }
}
