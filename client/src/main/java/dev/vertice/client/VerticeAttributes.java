package dev.vertice.client;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;

/**
 * {@code VerticeAttributes} holds the gRPC attribute keys that the {@code vertice:///} name
 * resolver sets and the {@value VerticeRoundRobinLoadBalancerProvider#POLICY_NAME} policy reads
 * (as grpc-java keeps {@code XdsAttributes} apart from both): one resolution-result attribute, the
 * service's traffic policy, and four per-address attributes describing the instance behind each
 * {@link EquivalentAddressGroup}.
 *
 * <p>Another name resolver may set them too, to have its addresses balanced by version. Keys are
 * compared by identity: always use these constants.
 */
public final class VerticeAttributes {

  private VerticeAttributes() {}

  /**
   * Resolution-result attribute: the service's current traffic policy, absent when it has none.
   * The {@code vertice:///} name resolver sets it when its watch client watches traffic policies.
   */
  @NameResolver.ResolutionResultAttr
  public static final Attributes.Key<TrafficPolicySnapshot> TRAFFIC_POLICY =
      Attributes.Key.create("dev.vertice.client.TrafficPolicySnapshot");

  /** Address attribute: the instance's load-balancing weight (1-10000). */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<Integer> WEIGHT = Attributes.Key.create("vertice.weight");

  /**
   * Address attribute: the instance's version label, for example {@code v1}; the traffic policy's
   * subsets are matched against it.
   */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<String> VERSION = Attributes.Key.create("vertice.version");

  /** Address attribute: the instance's zone (may be empty). */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<String> ZONE = Attributes.Key.create("vertice.zone");

  /** Address attribute: the instance id. */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<String> INSTANCE_ID = Attributes.Key.create("vertice.instanceId");
}
