package dev.vertice.controlplane.canary;

import dev.vertice.controlplane.store.Leases;
import dev.vertice.controlplane.store.StoreUnavailableException;
import java.time.Duration;

/**
 * {@code LeaseLeadership} holds the canary controller's lease in the control plane's {@link
 * Leases}: each check takes or renews it for {@code ttl}, so a replica that stops checking (it
 * died, or cannot reach Redis) loses it within one TTL and another replica takes over.
 */
public final class LeaseLeadership implements Leadership {

  /** The lease's name: one controller for all rollouts. */
  public static final String LEASE_NAME = "vertice-canary-controller";
  /** Default TTL: five lease checks of one second. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(5);

  private final Leases leases;
  private final String owner;
  private final Duration ttl;

  /** Creates the leadership of {@code owner} (this replica's id) with lease time {@code ttl}. */
  public LeaseLeadership(Leases leases, String owner, Duration ttl) {
    Leases.check(LEASE_NAME, owner, ttl);
    this.leases = leases;
    this.owner = owner;
    this.ttl = ttl;
  }

  @Override
  public boolean isLeader() {
    try {
      return leases.tryAcquire(LEASE_NAME, owner, ttl);
    } catch (StoreUnavailableException e) {
      // Cannot renew: by the time the TTL runs out another replica may hold it. Stop acting now.
      return false;
    }
  }

  @Override
  public void release() {
    try {
      leases.release(LEASE_NAME, owner);
    } catch (StoreUnavailableException e) {
      // The lease runs out on its own.
    }
  }
}
