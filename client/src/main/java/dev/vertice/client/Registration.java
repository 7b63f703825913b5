package dev.vertice.client;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.RegisterRequest;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code Registration} is the handle of one instance registered through a {@link RegistryClient},
 * which keeps its lease alive until {@link #deregister()} or {@link RegistryClient#close()}.
 *
 * <p>The lease may change over the handle's life: when the control plane answers a KeepAlive ping
 * with {@code expired} (a restart lost its state, or the lease expired) or no longer knows the
 * instance, the client registers the same instance again (same service, instance id and fields,
 * current health) and continues with the new lease.
 *
 * <p>Thread-safe. Getters read immutable values published by the client and never block.
 */
public final class Registration {

  /** One lease, as granted by the control plane. */
  record Lease(String id, Duration ttl, Duration keepaliveInterval) {}

  private final RegistryClient client;
  private final String service;
  private final String instanceId;
  private final AtomicLong renewals = new AtomicLong();
  private final AtomicLong reregistrations = new AtomicLong();
  private volatile Lease lease;
  private volatile HealthStatus health;
  private volatile boolean active = true;

  // guarded by the client's lock
  RegisterRequest request;
  boolean lost;
  boolean registering;
  ScheduledFuture<?> pingTask;
  ScheduledFuture<?> retryTask;
  LeaseKeeper.Lane lane;
  final Backoff backoff;

  Registration(RegistryClient client, String service, String instanceId, Backoff backoff) {
    this.client = client;
    this.service = service;
    this.instanceId = instanceId;
    this.backoff = backoff;
  }

  /** {@code service} returns the canonical service name the instance is registered under. */
  public String service() {
    return service;
  }

  /** {@code instanceId} returns the instance id (the one given, or the one the server generated). */
  public String instanceId() {
    return instanceId;
  }

  /** {@code leaseId} returns the current lease id; it changes when the instance is registered again. */
  public String leaseId() {
    return lease.id();
  }

  /** {@code ttl} returns the current lease's time to live, as granted by the control plane. */
  public Duration ttl() {
    return lease.ttl();
  }

  /** {@code keepaliveInterval} returns the interval at which the client pings the current lease. */
  public Duration keepaliveInterval() {
    return lease.keepaliveInterval();
  }

  /**
   * {@code health} returns the health this client last registered or set for the instance (not
   * read from the server).
   */
  public HealthStatus health() {
    return health;
  }

  /** {@code isActive} returns false once the instance was deregistered, or its registration given up. */
  public boolean isActive() {
    return active;
  }

  /** {@code renewals} returns the number of KeepAlive pings the control plane answered with a renewal for this handle. */
  public long renewals() {
    return renewals.get();
  }

  /** {@code reregistrations} returns how many times the client registered the instance again after losing its lease. */
  public long reregistrations() {
    return reregistrations.get();
  }

  /**
   * {@code setHealth} changes the instance's health; the control plane pushes the change to
   * watchers. Blocks for at most the client's call timeout per replica tried. The health is also
   * remembered for re-registrations; if the control plane no longer knows the instance, it is
   * registered again with this health and the call returns normally.
   *
   * @throws IllegalArgumentException when {@code health} is UNSPECIFIED or unrecognised
   * @throws IllegalStateException when the registration is no longer active
   * @throws io.grpc.StatusRuntimeException when the control plane cannot be reached or refuses
   */
  public void setHealth(HealthStatus health) {
    client.setHealth(this, health);
  }

  /**
   * {@code deregister} removes the instance at once: pings stop and the control plane pushes the
   * removal. Idempotent. Blocks for at most the client's call timeout per replica tried; if every
   * replica fails, the instance disappears when its lease expires.
   *
   * @throws io.grpc.StatusRuntimeException when the control plane cannot be reached
   */
  public void deregister() {
    client.deregister(this);
  }

  @Override
  public String toString() {
    Lease l = lease;
    return "Registration{" + service + "/" + instanceId + ", lease=" + (l == null ? "-" : l.id()) + ", active="
        + active + "}";
  }

  // --- written by the client under its lock ---

  Lease lease() {
    return lease;
  }

  void lease(Lease l) {
    this.lease = l;
  }

  void health(HealthStatus h) {
    this.health = h;
  }

  void deactivate() {
    this.active = false;
  }

  void renewed() {
    renewals.incrementAndGet();
  }

  void reregistered() {
    reregistrations.incrementAndGet();
  }
}
