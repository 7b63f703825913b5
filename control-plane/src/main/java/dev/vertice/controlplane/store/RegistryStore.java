package dev.vertice.controlplane.store;

import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryView;
import java.time.Duration;
import java.util.Collection;
import java.util.OptionalLong;

/**
 * {@code RegistryStore} is the single writer of registry facts: instances and their leases, and the
 * TrafficPolicy of each service.
 *
 * <p>Every accepted write gets the next revision and reaches this replica's {@link RegistryView},
 * and from it every watcher, in revision order; a write returns once the view holds it. {@code
 * InMemoryRegistryStore} decides writes in this process and applies them to the view under its
 * lock; {@code RedisRegistryStore} keeps the facts in Redis and feeds the view from Redis's
 * ordered change log, so that several control-plane replicas share one history.
 *
 * <p>Writes throw {@link StoreUnavailableException} when the store cannot be reached; nothing
 * changed then. Implementations are thread-safe.
 */
public interface RegistryStore extends AutoCloseable {

  /** Returns the lease rules. */
  RegistryConfig config();

  /**
   * Adds an instance or updates it in place ({@code instance.service} and {@code
   * instance.instance_id} identify it; an empty id gets a generated one). The instance must be
   * validated and normalised. A repeat of the same request renews the lease and changes nothing
   * else.
   *
   * @throws CapacityExceededException when the registry, or the instance's service, is full
   */
  Registration register(Instance instance, Duration ttl, Duration keepaliveInterval)
      throws CapacityExceededException, StoreUnavailableException;

  /**
   * Registers every entry as {@link #register} would, all or none: when the registry or a service
   * would exceed its capacity, or the store cannot be reached, nothing of the batch changes (a
   * shared store that applied the batch but whose replicas did not acknowledge it in time fails it
   * with {@link StoreUnavailableException} after the write, as {@link #register} does; the batch is
   * an idempotent upsert, so the caller retries). Entries must name
   * distinct (service, instance id) pairs (an empty id counts as distinct). Does not block on the
   * network: the future completes, possibly on a store thread, with one {@link Registration} per
   * entry in order, each carrying its service's version after the whole batch, once this replica's
   * view holds the batch; or exceptionally with {@link CapacityExceededException} or {@link
   * StoreUnavailableException}.
   */
  java.util.concurrent.CompletableFuture<java.util.List<Registration>> registerBatch(
      java.util.List<RegistrationRequest> entries);

  /**
   * Renews several leases for KeepAlive stream {@code streamId}, as {@link #keepAlive} does each, in
   * one store call where the store can. The future completes with the remaining TTL in nanoseconds
   * per lease, in order, -1 for a lease that is unknown or expired; or exceptionally with {@link
   * StoreUnavailableException}. The default renews them one by one, at once.
   */
  default java.util.concurrent.CompletableFuture<long[]> keepAliveBatch(java.util.List<String> leaseIds,
      String streamId) {
    long[] out = new long[leaseIds.size()];
    try {
      for (int i = 0; i < out.length; i++) {
        out[i] = keepAlive(leaseIds.get(i), streamId).orElse(-1);
      }
    } catch (StoreUnavailableException e) {
      return java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    return java.util.concurrent.CompletableFuture.completedFuture(out);
  }

  /** Removes an instance and its lease; returns the service's version after the removal. */
  long deregister(String service, String instanceId) throws NotFoundException, StoreUnavailableException;

  /** Sets an instance's health; returns the service's version after the call. */
  long setHealth(String service, String instanceId, HealthStatus health)
      throws NotFoundException, StoreUnavailableException;

  /**
   * Renews a lease on behalf of KeepAlive stream {@code streamId}; returns the remaining TTL in
   * nanoseconds, or empty when the lease is unknown or expired.
   */
  OptionalLong keepAlive(String leaseId, String streamId) throws StoreUnavailableException;

  /**
   * Returns the service of the instance that lease {@code leaseId} keeps, or empty when the lease is
   * unknown (authorization of KeepAlive).
   */
  java.util.Optional<String> leaseService(String leaseId) throws StoreUnavailableException;

  /**
   * Returns how long the lease of instance {@code service/instanceId} has left before it expires, in
   * nanoseconds, or empty when this store cannot tell cheaply (no such instance, or a shared store
   * that keeps deadlines remotely). For operators (the console); never blocks on the network.
   */
  default OptionalLong leaseRemaining(String service, String instanceId) {
    return OptionalLong.empty();
  }

  /** Returns whether {@code leaseId} names a live lease (best effort when the store is unreachable). */
  boolean hasLease(String leaseId);

  /**
   * Starts the grace period of leases whose KeepAlive stream {@code streamId} ended without
   * Deregister. A lease renewed since by another stream (the client reconnected before this end
   * was noticed) is left alone.
   */
  void keepAliveStreamEnded(String streamId, Collection<String> leaseIds);

  /**
   * Sets the TrafficPolicy of {@code policy.service} (validated by {@code TrafficPolicies.validate});
   * returns its revision, which the view holds when this returns. A policy equal to the one held
   * changes nothing and returns the held revision.
   *
   * @throws CapacityExceededException when {@code TrafficPolicies.MAX_POLICIES} services already
   *     have a policy and this one has none
   */
  long putTrafficPolicy(TrafficPolicy policy) throws CapacityExceededException, StoreUnavailableException;

  /**
   * Removes the TrafficPolicy of {@code service}; returns the revision of the removal (held by the
   * view when this returns), or empty when the service had no policy.
   */
  OptionalLong removeTrafficPolicy(String service) throws StoreUnavailableException;

  /**
   * Returns whether this replica's view follows the store: false while a shared store is
   * unreachable (the view is then frozen: served, but stale). The in-memory store always follows.
   */
  default boolean following() {
    return true;
  }

  /** Stops background work (expiry, log reading) and releases connections. */
  @Override
  void close();
}
