package dev.vertice.client;

/**
 * {@code ServiceListener} receives the changes a {@link WatchClient} applies to its cache.
 *
 * <p>Calls come one at a time, in the order the changes were applied, on the watch client's
 * listener executor (never on a gRPC thread); a slow listener delays the ones after it but never
 * the cache. An exception thrown by a listener is logged and ignored.
 */
public interface ServiceListener {

  /** {@code onUpdate} is called with the new snapshot of a service that was added or changed. */
  void onUpdate(ServiceSnapshot snapshot);

  /**
   * {@code onRemoved} is called when a service the client held disappeared (its last instance
   * left), was unsubscribed, or, for a service subscribed by name, when the control plane first
   * answers that it does not exist.
   */
  void onRemoved(String service);

  /**
   * {@code onPolicyUpdate} is called with the new traffic policy of a service, when the watch
   * client watches policies ({@link WatchClient.Builder#watchTrafficPolicies}). Does nothing by
   * default.
   */
  default void onPolicyUpdate(TrafficPolicySnapshot policy) {}

  /**
   * {@code onPolicyRemoved} is called when the traffic policy of a service disappeared (the
   * service has no split any more), when the watch client watches policies. Does nothing by
   * default.
   */
  default void onPolicyRemoved(String service) {}
}
