package dev.vertice.controlplane.canary;

import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.controlplane.push.Convergence;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import dev.vertice.controlplane.registry.TrafficPolicies;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.StoreUnavailableException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code StorePolicyPublisher} publishes through the control plane's {@link TrafficPolicies}: the
 * store holds the policy and the push engine serves it on Watch. Its future completes when every
 * watcher of this replica that needed the change ACKed it; it fails when one NACKed it or left
 * before answering.
 */
public final class StorePolicyPublisher implements PolicyPublisher {

  private final TrafficPolicies policies;

  /** Creates the publisher over the control plane's policy API. */
  public StorePolicyPublisher(TrafficPolicies policies) {
    this.policies = policies;
  }

  @Override
  public CompletableFuture<?> put(TrafficPolicy policy) {
    StoredTrafficPolicy stored;
    try {
      stored = policies.put(policy);
    } catch (StoreUnavailableException | CapacityExceededException e) {
      throw new IllegalStateException("cannot publish the traffic policy of " + policy.getService() + ": "
          + e.getMessage(), e);
    }
    return policies.whenConverged(stored.service(), stored.revision()).thenApply(c -> check(stored, c));
  }

  private static Convergence check(StoredTrafficPolicy stored, Convergence c) {
    if (c.nacks() > 0) {
      throw new CompletionException(new IllegalStateException(c.nacks() + " of " + c.subscribers()
          + " subscribers NACKed the traffic policy of " + stored.service() + " at revision " + stored.revision()));
    }
    if (!c.complete()) {
      throw new CompletionException(new IllegalStateException("the traffic policy of " + stored.service()
          + " at revision " + stored.revision() + " was dropped before every subscriber answered"));
    }
    return c;
  }
}
