package dev.vertice.gateway.balancer;

import java.util.Objects;

/**
 * {@code EndpointKey} identifies one upstream instance: the same key in two routing snapshots is
 * the same instance (so counters, breakers and connections carry over).
 *
 * @param service canonical service name
 * @param instanceId the instance id
 * @param address host to connect to
 * @param port port to connect to
 */
public record EndpointKey(String service, String instanceId, String address, int port) {

  /** {@code EndpointKey} checks that no part is missing. */
  public EndpointKey {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(instanceId, "instanceId");
    Objects.requireNonNull(address, "address");
  }

  /** {@code hostPort} returns {@code address:port} (IPv6 literals in brackets). */
  public String hostPort() {
    return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
  }

  @Override
  public String toString() {
    return service + "/" + instanceId + "@" + hostPort();
  }
}
