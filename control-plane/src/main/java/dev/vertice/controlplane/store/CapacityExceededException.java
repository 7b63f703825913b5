package dev.vertice.controlplane.store;

/**
 * {@code CapacityExceededException} reports a write beyond a store's limit (instances, instances
 * of one service, traffic policies, rollouts); nothing changed.
 */
public final class CapacityExceededException extends Exception {
  private static final long serialVersionUID = 1L;

  public CapacityExceededException(String message) {
    super(message);
  }

  /** A Register refused because the registry holds {@code limit} instances. */
  public static CapacityExceededException instances(int limit) {
    return new CapacityExceededException("the registry holds its limit of " + limit
        + " instances; register after others leave, or raise the limit");
  }

  /** A Register refused because {@code service} holds {@code limit} instances. */
  public static CapacityExceededException instancesOf(String service, int limit) {
    return new CapacityExceededException("service " + service + " holds its limit of " + limit
        + " instances (--max-instances-per-service); register after others leave, or raise the limit");
  }

  /** A TrafficPolicy refused because {@code limit} services already have one. */
  public static CapacityExceededException trafficPolicies(int limit) {
    return new CapacityExceededException(limit + " services already have a traffic policy, the limit;"
        + " remove policies of finished rollouts first");
  }
}
