package dev.vertice.controlplane.canary;

import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.store.PolicyAcks;
import dev.vertice.controlplane.store.StoreUnavailableException;
import java.time.InstantSource;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * {@code PolicyAckReporter} runs on every replica: it publishes to the shared {@link PolicyAcks}
 * how this replica's watchers answered each TrafficPolicy revision (from the push engine's
 * convergence events) and, every second, that the replica is alive, so that the lease holder's
 * {@link StorePolicyPublisher} counts every replica's watchers. Writes run on {@code executor},
 * never on the push thread that settled the change. Does nothing when the store is not shared.
 */
public final class PolicyAckReporter implements ConvergenceListener, AutoCloseable {

  private static final Logger log = Logger.getLogger(PolicyAckReporter.class.getName());

  private final PolicyAcks acks;
  private volatile String replica;
  private volatile InstantSource clock;
  private volatile Executor executor;
  private ScheduledFuture<?> heartbeat;

  /** Creates the reporter; it publishes nothing until {@link #start}. */
  public PolicyAckReporter(PolicyAcks acks) {
    this.acks = acks;
  }

  /** Starts publishing as {@code replica}: heartbeats every second on {@code scheduler}, by {@code clock}. */
  public synchronized void start(String replica, InstantSource clock, ScheduledExecutorService scheduler) {
    if (!acks.shared()) {
      return;
    }
    this.clock = clock;
    this.executor = scheduler;
    this.replica = replica;
    heartbeat = scheduler.scheduleAtFixedRate(this::beat, 0, 1, TimeUnit.SECONDS);
  }

  private void beat() {
    try {
      acks.alive(replica, clock.millis());
    } catch (StoreUnavailableException | RuntimeException e) {
      log.fine(() -> "cannot say this replica is alive: " + e.getMessage());
    }
  }

  @Override
  public void onSettled(String typeUrl, String name, long version, int subscribers, int nacks, boolean complete) {
    String id = replica;
    Executor ex = executor;
    if (id == null || ex == null || !ResourceTypes.TRAFFIC_POLICY.equals(typeUrl)) {
      return;
    }
    PolicyAcks.Answer answer = new PolicyAcks.Answer(id, version, subscribers, nacks, complete);
    try {
      ex.execute(() -> {
        try {
          acks.publish(answer, name);
        } catch (StoreUnavailableException | RuntimeException e) {
          log.fine(() -> "cannot publish this replica's answer to the policy of " + name + ": " + e.getMessage());
        }
      });
    } catch (RuntimeException e) {
      // The executor is shutting down: nothing to report to.
    }
  }

  @Override
  public synchronized void close() {
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
  }
}
