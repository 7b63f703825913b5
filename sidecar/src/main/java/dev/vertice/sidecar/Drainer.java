package dev.vertice.sidecar;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.client.Registration;
import dev.vertice.common.Ticker;
import dev.vertice.sidecar.internal.HttpGet;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code Drainer} drains a {@link Sidecar}'s instance: sets DRAINING, waits the drain period (or,
 * when the app has an in-flight endpoint, until it reads zero after the settle time), deregisters.
 *
 * <p>Its state is guarded by the sidecar's lock, which it shares; its steps run on the worker,
 * its timers on the scheduler.
 */
final class Drainer {

  private static final Logger log = Logger.getLogger("dev.vertice.sidecar.Sidecar"); // the sidecar's log

  private static final Pattern INFLIGHT = Pattern.compile("\\A\\s*(\\d{1,9})\\s*\\z|\"inflight\"\\s*:\\s*(\\d{1,9})");

  private final Object lock;
  private final SidecarConfig config;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final Executor worker;
  private final Registrar registrar;
  private final BooleanSupplier draining;
  private final BooleanSupplier stopIfDrainingLocked;
  private final Runnable release;

  // guarded by lock
  private long drainStartNanos;
  private ScheduledFuture<?> drainTask;

  /**
   * {@code Drainer} drains through {@code registrar}. {@code draining} says (under the lock)
   * whether the sidecar is draining; {@code stopIfDrainingLocked} stops it if so (under the lock)
   * and says whether it did; {@code release} then closes everything, outside the lock.
   */
  Drainer(Object lock, SidecarConfig config, Ticker ticker, ScheduledExecutorService scheduler, Executor worker,
      Registrar registrar, BooleanSupplier draining, BooleanSupplier stopIfDrainingLocked, Runnable release) {
    this.lock = lock;
    this.config = config;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.worker = worker;
    this.registrar = registrar;
    this.draining = draining;
    this.stopIfDrainingLocked = stopIfDrainingLocked;
    this.release = release;
  }

  /** Notes the drain's start; the caller then runs {@link #start()} on the worker. */
  void beginLocked() {
    drainStartNanos = ticker.nanoTime();
  }

  /** Cancels the pending drain step. */
  void cancelLocked() {
    if (drainTask != null) {
      drainTask.cancel(false);
    }
    drainTask = null;
  }

  /** Sets DRAINING and schedules the first drain step; on the worker. */
  void start() {
    Registration r;
    synchronized (lock) {
      r = registrar.registrationLocked();
    }
    if (r == null) {
      finish("the instance was not registered");
      return;
    }
    try {
      r.setHealth(HealthStatus.HEALTH_STATUS_DRAINING);
      synchronized (lock) {
        registrar.acknowledgedLocked(HealthStatus.HEALTH_STATUS_DRAINING);
      }
    } catch (StatusRuntimeException | IllegalStateException e) {
      log.warning("could not set DRAINING (" + e.getMessage() + "); waiting the drain period anyway");
    }
    Duration first = config.inflightUrl().isPresent() && config.drainSettle().compareTo(config.drainPeriod()) < 0
        ? config.drainSettle() : config.drainPeriod();
    scheduleStep(first);
  }

  private void scheduleStep(Duration after) {
    synchronized (lock) {
      if (!draining.getAsBoolean()) {
        return;
      }
      drainTask = scheduler.schedule(() -> worker.execute(this::step), after.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void step() {
    long elapsed;
    synchronized (lock) {
      elapsed = ticker.nanoTime() - drainStartNanos;
    }
    long left = config.drainPeriod().toNanos() - elapsed;
    if (left <= 0 || config.inflightUrl().isEmpty()) {
      finish("the drain period passed");
      return;
    }
    OptionalInt inflight = readInflight(config.inflightUrl().get());
    if (inflight.isPresent() && inflight.getAsInt() == 0) {
      finish("the app reports no request in flight");
      return;
    }
    scheduleStep(Duration.ofNanos(Math.min(left, SidecarConfig.INFLIGHT_POLL_INTERVAL.toNanos())));
  }

  private OptionalInt readInflight(URI url) {
    try {
      int port = url.getPort() > 0 ? url.getPort() : 80;
      String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
      if (url.getRawQuery() != null) {
        path += "?" + url.getRawQuery();
      }
      HttpGet.Response r = HttpGet.fetch(url.getHost(), port, path, config.probeTimeout());
      if (r.status() != 200) {
        return OptionalInt.empty();
      }
      Matcher m = INFLIGHT.matcher(r.body());
      if (!m.find()) {
        return OptionalInt.empty();
      }
      return OptionalInt.of(Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2)));
    } catch (IOException e) {
      return OptionalInt.empty();
    }
  }

  private void finish(String why) {
    Registration r;
    long startNanos;
    synchronized (lock) {
      if (!stopIfDrainingLocked.getAsBoolean()) {
        return;
      }
      r = registrar.registrationLocked();
      startNanos = drainStartNanos;
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(ticker.nanoTime() - startNanos);
    log.info(() -> "drain of " + config.service() + "/" + config.instanceId() + " over after " + ms + " ms (" + why
        + "); deregistering");
    if (r != null) {
      try {
        r.deregister();
      } catch (StatusRuntimeException e) {
        log.warning("Deregister failed (" + e.getStatus() + "); the instance leaves when its lease expires");
      }
    }
    release.run();
  }
}
