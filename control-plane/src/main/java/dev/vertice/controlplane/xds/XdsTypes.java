package dev.vertice.controlplane.xds;

import java.util.List;

/** {@code XdsTypes} names the xDS v3 resource types served on the Aggregated Discovery Service. */
public final class XdsTypes {

  /** {@code envoy.config.listener.v3.Listener} (LDS). */
  public static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
  /** {@code envoy.config.route.v3.RouteConfiguration} (RDS). */
  public static final String ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  /** {@code envoy.config.cluster.v3.Cluster} (CDS). */
  public static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  /** {@code envoy.config.endpoint.v3.ClusterLoadAssignment} (EDS). */
  public static final String ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  /** Every type served, in the order clients resolve them. */
  public static final List<String> ALL = List.of(LISTENER, ROUTE, CLUSTER, ENDPOINT);

  /**
   * Returns whether a state-of-the-world response of {@code typeUrl} must list every subscribed
   * resource (LDS and CDS: a resource missing from a response is deleted), rather than only the
   * changed ones (RDS and EDS).
   */
  public static boolean fullState(String typeUrl) {
    return LISTENER.equals(typeUrl) || CLUSTER.equals(typeUrl);
  }

  private XdsTypes() {}
}
