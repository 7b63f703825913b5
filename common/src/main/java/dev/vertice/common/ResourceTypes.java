package dev.vertice.common;

/** {@code ResourceTypes} names the resource types served on the Watch stream. */
public final class ResourceTypes {

  /** Type URL of {@code vertice.discovery.v1.Endpoints}: the instances of one service. */
  public static final String ENDPOINTS = "type.googleapis.com/vertice.discovery.v1.Endpoints";

  /** Type URL of {@code vertice.discovery.v1.TrafficPolicy}: the version split of one service. */
  public static final String TRAFFIC_POLICY =
      "type.googleapis.com/vertice.discovery.v1.TrafficPolicy";

  /** The subscription name that means "every resource of the type". */
  public static final String WILDCARD = "*";

  private ResourceTypes() {}
}
