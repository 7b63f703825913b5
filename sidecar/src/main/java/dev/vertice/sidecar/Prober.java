package dev.vertice.sidecar;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.common.Ticker;
import dev.vertice.sidecar.internal.Json;
import dev.vertice.sidecar.internal.ProbeTracker;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * {@code Prober} probes a {@link Sidecar}'s app: up to the failure threshold back to back at start
 * (the first success means SERVING), then every probe interval, and turns the thresholds' verdicts
 * into the desired health it hands the {@link Registrar}.
 *
 * <p>Its state is guarded by the sidecar's lock, which it shares; probes run on the worker,
 * outside the lock, one at a time (a slow app does not pile probes up).
 */
final class Prober {

  private static final Logger log = Logger.getLogger("dev.vertice.sidecar.Sidecar"); // the sidecar's log

  private final Object lock;
  private final SidecarConfig config;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final Executor worker;
  private final HealthProbe probe;
  private final Registrar registrar;
  private final SidecarMeters meters;
  private final BooleanSupplier running;
  private final Consumer<Boolean> results;

  // guarded by lock
  private ProbeTracker tracker;
  private boolean probing;
  private ScheduledFuture<?> probeTask;
  private volatile long probesRun;

  /**
   * {@code Prober} runs {@code probe}; {@code meters} may be null; {@code running} says (under the
   * lock) whether the sidecar still runs; {@code results} is told every probe's result, outside the
   * lock (the supervisor of the app listens).
   */
  Prober(Object lock, SidecarConfig config, Ticker ticker, ScheduledExecutorService scheduler, Executor worker,
      HealthProbe probe, Registrar registrar, SidecarMeters meters, BooleanSupplier running,
      Consumer<Boolean> results) {
    this.lock = lock;
    this.config = config;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.worker = worker;
    this.probe = probe;
    this.registrar = registrar;
    this.meters = meters;
    this.running = running;
    this.results = results;
  }

  /** How many probes completed (the first included). */
  long probesRun() {
    return probesRun;
  }

  /** Cancels the periodic probe. */
  void cancelLocked() {
    if (probeTask != null) {
      probeTask.cancel(false);
    }
    probeTask = null;
  }

  /** Runs the first probes, then registers and schedules the periodic probe; on the worker. */
  void firstProbe() {
    // Up to failureThreshold probes in a row, without waiting: the first success means SERVING. An
    // app is called unhealthy only after that many failures, even at start (the very first probe
    // of a cold JVM may miss a short timeout, and a restarted sidecar must not flap its instance).
    boolean ok = false;
    for (int i = 0; i < config.failureThreshold() && !ok; i++) {
      ok = check();
      synchronized (lock) {
        if (!running.getAsBoolean()) {
          return;
        }
      }
    }
    boolean healthy = ok;
    synchronized (lock) {
      if (!running.getAsBoolean()) {
        return;
      }
      tracker = new ProbeTracker(config.successThreshold(), config.failureThreshold(), healthy);
      registrar.desireLocked(healthy ? HealthStatus.HEALTH_STATUS_SERVING : HealthStatus.HEALTH_STATUS_NOT_SERVING);
      long period = config.probeInterval().toNanos();
      probeTask = scheduler.scheduleAtFixedRate(this::probeTick, period, period, TimeUnit.NANOSECONDS);
    }
    transitioned(healthy);
    log.info(() -> "first probe (" + probe.describe() + "): " + (healthy ? "healthy" : "unhealthy"));
    registrar.register();
  }

  private void probeTick() {
    synchronized (lock) {
      if (!running.getAsBoolean() || probing) {
        return; // the previous probe still runs: a slow app does not pile probes up
      }
      probing = true;
    }
    worker.execute(this::probeOnce);
  }

  private void probeOnce() {
    boolean ok = check();
    boolean changed;
    boolean lostRegistration;
    HealthStatus now;
    synchronized (lock) {
      probing = false;
      if (!running.getAsBoolean()) {
        return;
      }
      changed = tracker.record(ok);
      if (changed) {
        registrar.desireLocked(tracker.healthy()
            ? HealthStatus.HEALTH_STATUS_SERVING : HealthStatus.HEALTH_STATUS_NOT_SERVING);
      }
      now = registrar.desiredLocked();
      lostRegistration = registrar.dropInactiveLocked();
    }
    if (changed) {
      transitioned(ok);
      log.info(() -> config.service() + "/" + config.instanceId() + " is now " + Json.health(now)
          + " (" + probe.describe() + ")");
      registrar.pushHealth();
    }
    if (lostRegistration) {
      registrar.register();
    }
  }

  /**
   * The app's process ended: NOT_SERVING at once, without waiting for the failure threshold (the
   * probes that follow fail until it is back, and the first good one makes it SERVING); on the worker.
   */
  void appDown() {
    synchronized (lock) {
      if (!running.getAsBoolean() || tracker == null || !tracker.markUnhealthy()) {
        return; // before the first probes (they find it down), or already NOT_SERVING
      }
      registrar.desireLocked(HealthStatus.HEALTH_STATUS_NOT_SERVING);
    }
    transitioned(false);
    log.info(() -> config.service() + "/" + config.instanceId() + " is now NOT_SERVING (the app's process ended)");
    registrar.pushHealth();
  }

  /** Runs one probe, counted and timed. */
  private boolean check() {
    long start = ticker.nanoTime();
    boolean ok = probe.check();
    probesRun++;
    if (meters != null) {
      meters.probeTime.record(ticker.nanoTime() - start);
      (ok ? meters.success : meters.failure).increment();
    }
    results.accept(ok);
    return ok;
  }

  /** Counts a change of the probed health (the first verdict included: from UNKNOWN). */
  private void transitioned(boolean healthy) {
    if (meters != null) {
      (healthy ? meters.toServing : meters.toNotServing).increment();
    }
  }
}
