package dev.vertice.controlplane.registry;

/**
 * {@code RegistryEvents} observes registry activity (metrics and logs attach here).
 *
 * <p>Called on the thread that made the change, after it is committed; must be fast and must not
 * call back into the registry.
 */
public interface RegistryEvents {

  /** No-op events. */
  RegistryEvents NONE = new RegistryEvents() {};

  /** An instance was added ({@code created}) or updated. */
  default void onRegistered(String service, String instanceId, boolean created) {}

  /** An instance was removed. */
  default void onRemoved(String service, String instanceId, RemovalReason reason) {}

  /** A lease was renewed. */
  default void onKeepAlive() {}
}
