package dev.vertice.controlplane.canary;

/**
 * {@code Leadership} says whether this replica holds the canary lease: only the holder evaluates
 * rollouts and writes them. Implementations renew the lease on their own and are thread-safe.
 */
@FunctionalInterface
public interface Leadership {

  /** Returns whether this replica holds the lease now. */
  boolean isLeader();

  /** Gives the lease up (on a clean shutdown), so that another replica takes over at once. */
  default void release() {}

  /** Returns a leadership that is always held: one control plane with the in-memory store. */
  static Leadership always() {
    return () -> true;
  }
}
