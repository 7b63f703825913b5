package dev.vertice.controlplane.canary;

import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.controlplane.push.Convergence;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import dev.vertice.controlplane.registry.TrafficPolicies;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.PolicyAcks;
import dev.vertice.controlplane.store.StoreUnavailableException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * {@code StorePolicyPublisher} publishes through the control plane's {@link TrafficPolicies}: the
 * store holds the policy and the push engine serves it on Watch. Its future completes when every
 * watcher that needed the change answered it, on this replica and, when replicas share a store
 * ({@link PolicyAcks#shared()}), on every live replica; it fails when watchers of this replica left
 * before answering.
 *
 * <p>A NACK is an answer: the NACKing watchers keep their previous policy and are not waited on;
 * they are logged and counted ({@link #nackedPolicies()}). A live replica that has not answered
 * within the fleet timeout is not waited on either: logged, counted ({@link #fleetTimeouts()}),
 * and the future completes.
 */
public final class StorePolicyPublisher implements PolicyPublisher {

  private static final Logger log = Logger.getLogger(StorePolicyPublisher.class.getName());

  /** Default longest wait for the other replicas' watchers: 30 s. */
  public static final Duration DEFAULT_FLEET_TIMEOUT = Duration.ofSeconds(30);
  /** A replica is live when it said so within this time (they say so every second). */
  static final long LIVE_WITHIN_MILLIS = 5_000;
  /** How often the other replicas' answers are read while waiting. */
  static final long POLL_MILLIS = 200;

  private final TrafficPolicies policies;
  private final PolicyAcks acks;
  private final ScheduledExecutorService scheduler;
  private final InstantSource clock;
  private final Duration fleetTimeout;
  private final String self;
  private final AtomicLong nacked = new AtomicLong();
  private final AtomicLong timeouts = new AtomicLong();

  /** Creates the publisher over the control plane's policy API, waiting on this replica's watchers only. */
  public StorePolicyPublisher(TrafficPolicies policies) {
    this(policies, PolicyAcks.LOCAL, null, InstantSource.system(), DEFAULT_FLEET_TIMEOUT, "");
  }

  /**
   * Creates the publisher that, when {@code acks} is shared, also waits (polling on {@code
   * scheduler}, by {@code clock}) for every live replica other than {@code self} to answer, at most
   * {@code fleetTimeout}.
   */
  public StorePolicyPublisher(TrafficPolicies policies, PolicyAcks acks, ScheduledExecutorService scheduler,
      InstantSource clock, Duration fleetTimeout, String self) {
    if (fleetTimeout.isNegative() || fleetTimeout.isZero()) {
      throw new IllegalArgumentException("fleetTimeout must be positive: " + fleetTimeout);
    }
    this.policies = policies;
    this.acks = acks;
    this.scheduler = scheduler;
    this.clock = clock;
    this.fleetTimeout = fleetTimeout;
    this.self = self;
  }

  /** Returns how many policy revisions some watcher NACKed (on this replica or, with a shared store, another). */
  public long nackedPolicies() {
    return nacked.get();
  }

  /** Returns how many policy revisions were declared converged without some live replica's answer. */
  public long fleetTimeouts() {
    return timeouts.get();
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
    CompletableFuture<Convergence> local = policies.whenConverged(stored.service(), stored.revision())
        .thenApply(c -> check(stored, c));
    if (!acks.shared() || scheduler == null) {
      return local;
    }
    return local.thenCompose(c -> {
      CompletableFuture<Void> fleet = new CompletableFuture<>();
      poll(stored, clock.millis() + fleetTimeout.toMillis(), fleet);
      return fleet;
    });
  }

  private Convergence check(StoredTrafficPolicy stored, Convergence c) {
    if (!c.complete()) {
      throw new CompletionException(new IllegalStateException("the traffic policy of " + stored.service()
          + " at revision " + stored.revision() + " was dropped before every subscriber answered"));
    }
    if (c.nacks() > 0) {
      nacked.incrementAndGet();
      log.warning(c.nacks() + " of " + c.subscribers() + " subscribers NACKed the traffic policy of "
          + stored.service() + " at revision " + stored.revision() + ": they keep their previous weights and are"
          + " not waited on (see their logs for the reason)");
    }
    return c;
  }

  /** Completes {@code fleet} once every live replica answered {@code stored} (or a later revision), or at the deadline. */
  private void poll(StoredTrafficPolicy stored, long deadlineMillis, CompletableFuture<Void> fleet) {
    List<String> missing = new ArrayList<>();
    int nacks = 0;
    try {
      long now = clock.millis();
      Map<String, PolicyAcks.Answer> answers = acks.answers(stored.service());
      for (String replica : acks.live(now, LIVE_WITHIN_MILLIS)) {
        PolicyAcks.Answer a = answers.get(replica);
        if (replica.equals(self)) {
          continue; // this replica's watchers answered already (the local future)
        }
        if (a == null || a.revision() < stored.revision()) {
          missing.add(replica);
        } else if (a.revision() == stored.revision()) {
          nacks += a.nacks();
        }
      }
      if (missing.isEmpty()) {
        if (nacks > 0) {
          nacked.incrementAndGet();
          log.warning(nacks + " subscribers of other replicas NACKed the traffic policy of " + stored.service()
              + " at revision " + stored.revision() + ": they keep their previous weights and are not waited on");
        }
        fleet.complete(null);
        return;
      }
      if (now >= deadlineMillis) {
        timeouts.incrementAndGet();
        log.warning("replicas " + missing + " did not report their watchers' answers to the traffic policy of "
            + stored.service() + " at revision " + stored.revision() + " within " + fleetTimeout
            + "; going on without them");
        fleet.complete(null);
        return;
      }
    } catch (StoreUnavailableException | RuntimeException e) {
      log.fine(() -> "cannot read the replicas' answers yet: " + e.getMessage());
      if (clock.millis() >= deadlineMillis) {
        fleet.completeExceptionally(e);
        return;
      }
    }
    scheduler.schedule(() -> poll(stored, deadlineMillis, fleet), POLL_MILLIS, TimeUnit.MILLISECONDS);
  }
}
