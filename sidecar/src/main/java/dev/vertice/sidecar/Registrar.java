package dev.vertice.sidecar;

import com.google.rpc.BadRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.client.InstanceSpec;
import dev.vertice.client.Registration;
import dev.vertice.client.RegistryClient;
import dev.vertice.client.Backoff;
import dev.vertice.sidecar.internal.Json;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code Registrar} keeps a {@link Sidecar}'s instance registered with the control plane and tells
 * it the health the sidecar holds for the app: it registers (with the current health), sends each
 * change with SetHealth until acknowledged, retries both with jittered backoff (at once when a
 * channel turns READY), and registers afresh when the registry client gave a registration up.
 *
 * <p>Its state is guarded by the sidecar's lock, which it shares; its methods ending in {@code
 * Locked} expect the caller to hold it. Calls to the control plane run on the worker, outside the
 * lock. It knows nothing of probing or draining: the sidecar tells it the desired health.
 */
final class Registrar {

  private static final Logger log = Logger.getLogger("dev.vertice.sidecar.Sidecar"); // the sidecar's log

  private final Object lock;
  private final SidecarConfig config;
  private final ScheduledExecutorService scheduler;
  private final Executor worker;
  private final List<ManagedChannel> channels;
  private final RegistryClient registry;
  private final BooleanSupplier running;
  private final Runnable stopLocked;
  private final Consumer<InvalidSettingException> rejected;

  // guarded by lock
  private final Backoff registerBackoff;
  private final Backoff healthBackoff;
  private HealthStatus desired = HealthStatus.HEALTH_STATUS_UNKNOWN;
  private HealthStatus acknowledged = HealthStatus.HEALTH_STATUS_UNSPECIFIED;
  private Registration registration;
  private boolean registering;
  private boolean pushing;
  private ScheduledFuture<?> registerRetry;
  private ScheduledFuture<?> healthRetry;

  /**
   * {@code Registrar} registers through {@code registry} over {@code channels}. {@code running}
   * says (under the lock) whether the sidecar still runs; when the control plane rejects the
   * registration as invalid, {@code stopLocked} runs under the lock, then {@code rejected} outside it.
   */
  Registrar(Object lock, SidecarConfig config, ScheduledExecutorService scheduler, Executor worker,
      List<ManagedChannel> channels, RegistryClient registry, Random random, BooleanSupplier running,
      Runnable stopLocked, Consumer<InvalidSettingException> rejected) {
    this.lock = lock;
    this.config = config;
    this.scheduler = scheduler;
    this.worker = worker;
    this.channels = channels;
    this.registry = registry;
    this.running = running;
    this.stopLocked = stopLocked;
    this.rejected = rejected;
    this.registerBackoff = new Backoff(config.backoff(), random);
    this.healthBackoff = new Backoff(config.backoff(), random);
  }

  /** The health the sidecar holds for the app; UNKNOWN before the first probe. */
  HealthStatus desiredLocked() {
    return desired;
  }

  /** Sets the health the control plane should hold; the caller then calls {@link #pushHealth()}. */
  void desireLocked(HealthStatus health) {
    desired = health;
  }

  /** The health the control plane last acknowledged (registered or set). */
  HealthStatus acknowledgedLocked() {
    return acknowledged;
  }

  /** Records that the control plane acknowledged {@code health} (set by the drain). */
  void acknowledgedLocked(HealthStatus health) {
    acknowledged = health;
  }

  /** The registration the control plane accepted, or null. */
  Registration registrationLocked() {
    return registration;
  }

  /**
   * Forgets a registration the registry client gave up (the control plane refused it again);
   * returns true when it did, and the caller then calls {@link #register()}.
   */
  boolean dropInactiveLocked() {
    if (registration != null && !registration.isActive()) {
      registration = null;
      return true;
    }
    return false;
  }

  /** 1 while the instance is registered, else 0 (for the gauge; {@code stopped} counts as 0). */
  double registeredNowLocked(boolean stopped) {
    return registration != null && registration.isActive() && !stopped ? 1 : 0;
  }

  /** Cancels pending retries. */
  void cancelLocked() {
    for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {registerRetry, healthRetry}) {
      if (f != null) {
        f.cancel(false);
      }
    }
    registerRetry = null;
    healthRetry = null;
  }

  // --- control-plane calls, on the worker ---

  /** Registers the instance with the desired health, unless registered or registering already. */
  void register() {
    InstanceSpec spec;
    synchronized (lock) {
      if (!running.getAsBoolean() || registration != null || registering) {
        return;
      }
      registering = true;
      registerRetry = null;
      spec = spec(desired);
    }
    resetConnectBackoff();
    Registration r;
    try {
      r = registry.register(spec);
    } catch (StatusRuntimeException e) {
      registrationFailed(e);
      return;
    } catch (IllegalStateException e) {
      synchronized (lock) {
        registering = false;
      }
      return; // closed meanwhile
    }
    boolean again;
    synchronized (lock) {
      registering = false;
      registration = r;
      acknowledged = spec.health();
      registerBackoff.reset();
      again = running.getAsBoolean() && desired != acknowledged;
    }
    log.info(() -> "registered " + r.service() + "/" + r.instanceId() + " as " + Json.health(spec.health())
        + " (lease " + r.leaseId() + ", ttl " + r.ttl() + ", keepalive " + r.keepaliveInterval() + ")");
    if (again) {
      pushHealth();
    }
  }

  private void registrationFailed(StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    if (code == Status.Code.INVALID_ARGUMENT || code == Status.Code.FAILED_PRECONDITION) {
      InvalidSettingException invalid = rejected(e);
      log.severe("the control plane rejected the registration: " + invalid.getMessage());
      synchronized (lock) {
        registering = false;
        stopLocked.run();
      }
      rejected.accept(invalid);
      return;
    }
    synchronized (lock) {
      registering = false;
      if (!running.getAsBoolean()) {
        return;
      }
      long delay = registerBackoff.nextDelayNanos();
      log.log(Level.WARNING, () -> "registering " + config.service() + "/" + config.instanceId() + " failed: "
          + e.getStatus().getCode() + " (" + e.getStatus().getDescription() + "); retrying in "
          + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
      registerRetry = scheduler.schedule(() -> worker.execute(this::register), delay, TimeUnit.NANOSECONDS);
      watchForReadyLocked();
    }
  }

  /** Sends the desired health until the control plane acknowledged it (or it changes again). */
  void pushHealth() {
    Registration r;
    HealthStatus h;
    synchronized (lock) {
      healthRetry = null;
      if (registration == null || pushing || desired == acknowledged
          || (!running.getAsBoolean() && desired != HealthStatus.HEALTH_STATUS_DRAINING)) {
        return; // not registered yet: the registration carries the desired health
      }
      pushing = true;
      r = registration;
      h = desired;
    }
    resetConnectBackoff();
    try {
      r.setHealth(h);
    } catch (StatusRuntimeException | IllegalStateException e) {
      synchronized (lock) {
        pushing = false;
        if (!running.getAsBoolean()) {
          return;
        }
        if (e instanceof IllegalStateException) {
          registration = null; // given up by the registry client: register afresh, with the desired health
          worker.execute(this::register);
          return;
        }
        long delay = healthBackoff.nextDelayNanos();
        log.log(Level.WARNING, () -> "SetHealth " + Json.health(h) + " failed: " + e.getMessage() + "; retrying in "
            + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
        healthRetry = scheduler.schedule(() -> worker.execute(this::pushHealth), delay, TimeUnit.NANOSECONDS);
        watchForReadyLocked();
      }
      return;
    }
    boolean again;
    synchronized (lock) {
      pushing = false;
      acknowledged = h;
      healthBackoff.reset();
      again = running.getAsBoolean() && desired != h;
    }
    log.fine(() -> "SetHealth " + Json.health(h) + " acknowledged");
    if (again) {
      pushHealth();
    }
  }

  /** The configured instance, with {@code health}. */
  private InstanceSpec spec(HealthStatus health) {
    InstanceSpec i = config.instance();
    return new InstanceSpec(i.service(), i.instanceId(), i.address(), i.port(), i.protocol(), i.version(), i.zone(),
        i.weight(), health, i.metadata(), i.ttl(), i.keepaliveInterval());
  }

  /**
   * A channel in TRANSIENT_FAILURE fails calls at once until its own reconnect backoff (up to two
   * minutes) runs out; the sidecar paces its attempts with its own backoff, so each may reconnect.
   */
  private void resetConnectBackoff() {
    for (ManagedChannel c : channels) {
      c.resetConnectBackoff();
    }
  }

  /**
   * Watches the channels while a retry is pending: gRPC's pick-first stays in TRANSIENT_FAILURE
   * (failing calls at once) until a reconnect succeeds, so a retry that coincides with the
   * reconnect fails too. The moment a channel is READY, pending retries run at once (through the
   * scheduler: the callback runs on the event loop, which must never block).
   */
  private void watchForReadyLocked() {
    for (ManagedChannel c : channels) {
      c.resetConnectBackoff();
      ConnectivityState now = c.getState(true);
      c.notifyWhenStateChanged(now, () -> onChannelStateChanged(c));
    }
  }

  private void onChannelStateChanged(ManagedChannel c) {
    synchronized (lock) {
      if (!running.getAsBoolean() || (registerRetry == null && healthRetry == null)) {
        return;
      }
      ConnectivityState now = c.getState(false);
      if (now != ConnectivityState.READY) {
        c.notifyWhenStateChanged(now, () -> onChannelStateChanged(c));
        return;
      }
      if (registerRetry != null) {
        registerRetry.cancel(false);
        registerRetry = scheduler.schedule(() -> worker.execute(this::register), 0, TimeUnit.NANOSECONDS);
      }
      if (healthRetry != null) {
        healthRetry.cancel(false);
        healthRetry = scheduler.schedule(() -> worker.execute(this::pushHealth), 0, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** Names the setting behind the control plane's first field violation. */
  private static InvalidSettingException rejected(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status != null) {
      for (com.google.protobuf.Any detail : status.getDetailsList()) {
        if (detail.is(BadRequest.class)) {
          try {
            BadRequest br = detail.unpack(BadRequest.class);
            if (br.getFieldViolationsCount() > 0) {
              BadRequest.FieldViolation v = br.getFieldViolations(0);
              return new InvalidSettingException(settingOf(v.getField()),
                  "rejected by the control plane: " + v.getDescription());
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
            // fall through to the status description
          }
        }
      }
    }
    return new InvalidSettingException("service-name", "rejected by the control plane: " + e.getStatus());
  }

  private static String settingOf(String field) {
    String last = field.substring(field.lastIndexOf('.') + 1).replace('_', '-');
    int bracket = last.indexOf('[');
    if (bracket >= 0) {
      last = last.substring(0, bracket);
    }
    return switch (last) {
      case "service" -> "service-name";
      case "keepalive-interval" -> "keepalive-interval";
      default -> last;
    };
  }
}
