package dev.vertice.controlplane.store;

import java.time.Clock;
import java.util.Optional;

/**
 * {@code StoreBackend} is one complete implementation of the store seam: the registry store that
 * writes the registry view, request stats, rollouts and leadership leases, all kept in the same
 * place (this process, or one Redis shared by every replica).
 *
 * <p>Life cycle: the backend is opened (connections made, nothing read yet), the view's listeners
 * are put in place, {@link #start()} loads the state and starts background work, and {@link
 * #close()} stops it and releases everything the backend opened.
 */
public interface StoreBackend extends AutoCloseable {

  /** Returns the store of instances, leases and TrafficPolicies. */
  RegistryStore registry();

  /** Returns the per-version request stats. */
  StatsStore stats();

  /** Returns where rollouts persist. */
  RolloutStore rollouts();

  /** Returns the leadership leases. */
  Leases leases();

  /**
   * Returns where replicas publish their watchers' answers to TrafficPolicy revisions: {@link
   * PolicyAcks#LOCAL} (nothing shared) unless several replicas share this store.
   */
  default PolicyAcks policyAcks() {
    return PolicyAcks.LOCAL;
  }

  /**
   * Returns the epoch of the history shared by every replica of this store, or empty when the
   * history is this process's own (a new one at every start).
   */
  Optional<String> sharedEpoch();

  /**
   * Returns the wall clock every replica of this store agrees on, built over {@code local}: {@code
   * local} itself in memory; in Redis, {@code local} corrected to Redis's clock, so that stats
   * buckets and canary windows do not depend on which replica's clock read them.
   */
  default Clock sharedClock(Clock local) {
    return local;
  }

  /**
   * Returns whether calls wait on the network: such calls must not run on a transport thread.
   */
  boolean remote();

  /** Loads the state into the view and starts background work (expiry, change-log reading). */
  void start() throws StoreUnavailableException;

  /** Stops background work and releases what the backend opened. */
  @Override
  void close();
}
