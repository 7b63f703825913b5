package dev.vertice.client;

import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Lease;
import dev.vertice.api.registry.v1.RegisterBatchRequest;
import dev.vertice.api.registry.v1.RegisterBatchResponse;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.client.internal.ControlPlaneChannels;
import dev.vertice.client.internal.ControlPlaneConnection;
import dev.vertice.client.internal.ProtoDurations;
import dev.vertice.client.internal.UnaryCalls;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code RegistryClient} registers instances with the control plane and keeps their leases alive.
 *
 * <p>Leases are pinged on KeepAlive streams, each lease at its keepalive interval. One stream
 * carries at most {@value #MAX_LEASES_PER_STREAM} live leases (the control plane's limit); a client
 * holding more registrations opens one more stream per {@value #MAX_LEASES_PER_STREAM} of them.
 * When a stream fails, the client reconnects it after a jittered exponential {@link BackoffConfig
 * backoff}, to the next control-plane address, and pings each of its leases at once (a broken
 * stream starts the server's grace period). When the control plane answers a ping with {@code
 * expired} (it restarted and lost its state, or the lease expired), the client registers that
 * instance again (same instance id and fields, current health) and continues with the new lease;
 * the other leases on the stream are not disturbed.
 *
 * <p>Unary calls ({@link #register}, {@link Registration#setHealth}, {@link
 * Registration#deregister}) block the caller, with a deadline of {@link Builder#callTimeout} per
 * attempt, moving on to the next replica when one is UNAVAILABLE. {@link #close()} deregisters
 * every instance (best effort, bounded by {@link Builder#closeTimeout}) and releases channels.
 *
 * <p>Thread-safe. Pings, reconnects and retries run on the injected scheduler, so tests can drive
 * them with a fake clock.
 *
 * <p>The KeepAlive side (lanes, pings, stream reconnects) is the package-private {@code
 * LeaseKeeper}; this class makes the unary calls (register, set health, deregister) and registers
 * an instance again when the keeper reports its lease lost. Both share this client's lock.
 */
public final class RegistryClient implements AutoCloseable {

  private static final Logger log = Logger.getLogger(RegistryClient.class.getName());

  /** Deadline of each unary call attempt when none is configured. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);
  /** Time {@link #close()} spends deregistering when none is configured. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(2);
  /**
   * Most live leases one KeepAlive stream may carry: the control plane ends a stream that pings one
   * more. Deregistered and expired leases do not count.
   */
  public static final int MAX_LEASES_PER_STREAM = 1024;

  private final ControlPlaneConnection connection;
  private final ControlPlaneChannels channels;
  private final ScheduledExecutorService scheduler;
  private final Duration callTimeout;
  private final Duration closeTimeout;

  /** Shared with the lease keeper: one lock orders registrations, leases and pings. */
  private final Object lock = new Object();
  private final LeaseKeeper leases;
  // guarded by lock
  private final Map<String, Registration> registrations = new LinkedHashMap<>();
  private boolean closed;

  private RegistryClient(Builder b) {
    this.connection = b.connect("vertice-registry-timer", WatchClient.DEFAULT_MAX_INBOUND_MESSAGE_BYTES);
    this.channels = connection.channels();
    this.scheduler = connection.scheduler();
    this.callTimeout = b.callTimeout;
    this.closeTimeout = b.closeTimeout;
    this.leases = new LeaseKeeper(connection, lock, MAX_LEASES_PER_STREAM, this::markLostLocked);
  }

  /** {@code builder} returns a builder; a control plane (addresses or channels) must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@code register} registers {@code spec} and starts keeping its lease alive. Registering the
   * same instance (service and instance id) again through this client updates it and returns the
   * same handle.
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT (with a google.rpc.BadRequest detail) for a
   *     bad field, RESOURCE_EXHAUSTED when the registry is full, UNAVAILABLE or DEADLINE_EXCEEDED
   *     when no replica answered
   * @throws IllegalStateException after {@link #close()}
   */
  public Registration register(InstanceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    checkOpen();
    RegisterRequest request = spec.toRequest();
    RegisterResponse response = UnaryCalls.await(
        UnaryCalls.call(channels, RegistryServiceGrpc.getRegisterMethod(), request, callTimeout));
    RegisterRequest registered = asRegistered(request, response);
    synchronized (lock) {
      if (closed) {
        deregisterQuietly(registered, callTimeout);
        throw new IllegalStateException("the registry client was closed during register");
      }
      Registration r = registrations.computeIfAbsent(key(response.getService(), response.getInstanceId()),
          k -> new Registration(this, response.getService(), response.getInstanceId(), connection.newBackoff()));
      r.request = registered;
      r.health(healthOf(registered));
      r.lost = false;
      applyLeaseLocked(r, response.getLease());
      leases.ensureStreamLocked(r);
      return r;
    }
  }

  /**
   * {@code registerBatch} registers every spec in one call (RegisterBatch), all or none, and starts
   * keeping their leases alive; returns one handle per spec, in order. The server takes at most its
   * batch limit (default 1000) of specs per call, each naming a different instance; registering an
   * instance this client already holds updates it and returns the same handle. The leases ride on
   * this client's KeepAlive streams like those of {@link #register}.
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT (with a google.rpc.BadRequest detail naming the
   *     entry, for example {@code entries[3].instance.port}) for a bad spec or too many, PERMISSION_DENIED
   *     for a service the caller may not register, RESOURCE_EXHAUSTED when the registry is full,
   *     UNAVAILABLE or DEADLINE_EXCEEDED when no replica answered; in each case nothing was registered
   * @throws IllegalArgumentException for an empty list
   * @throws IllegalStateException after {@link #close()}
   */
  public List<Registration> registerBatch(List<InstanceSpec> specs) {
    Objects.requireNonNull(specs, "specs");
    if (specs.isEmpty()) {
      throw new IllegalArgumentException("registerBatch needs at least one instance");
    }
    checkOpen();
    RegisterBatchRequest.Builder request = RegisterBatchRequest.newBuilder();
    for (InstanceSpec spec : specs) {
      request.addEntries(Objects.requireNonNull(spec, "spec").toRequest());
    }
    RegisterBatchResponse response = UnaryCalls.await(
        UnaryCalls.call(channels, RegistryServiceGrpc.getRegisterBatchMethod(), request.build(), callTimeout));
    List<Registration> out = new java.util.ArrayList<>(specs.size());
    synchronized (lock) {
      if (closed) {
        for (int i = 0; i < response.getResultsCount(); i++) {
          deregisterQuietly(asRegistered(request.getEntries(i), response.getResults(i)), callTimeout);
        }
        throw new IllegalStateException("the registry client was closed during registerBatch");
      }
      for (int i = 0; i < response.getResultsCount(); i++) {
        RegisterResponse one = response.getResults(i);
        RegisterRequest registered = asRegistered(request.getEntries(i), one);
        Registration r = registrations.computeIfAbsent(key(one.getService(), one.getInstanceId()),
            k -> new Registration(this, one.getService(), one.getInstanceId(), connection.newBackoff()));
        r.request = registered;
        r.health(healthOf(registered));
        r.lost = false;
        applyLeaseLocked(r, one.getLease());
        leases.ensureStreamLocked(r);
        out.add(r);
      }
    }
    return out;
  }

  /** {@code registrations} returns the active registrations of this client. */
  public List<Registration> registrations() {
    synchronized (lock) {
      return List.copyOf(registrations.values());
    }
  }

  /**
   * {@code close} deregisters every instance (in parallel, waiting at most the close timeout;
   * instances not deregistered in time expire after the server's grace period, since the KeepAlive
   * stream ends), then shuts down owned channels and threads. Idempotent.
   */
  @Override
  public void close() {
    List<Registration> active;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      leases.closingLocked();
      active = List.copyOf(registrations.values());
      active.forEach(this::deactivateLocked);
    }
    deregisterAll(active);
    synchronized (lock) {
      // Only now: ending the streams earlier would start the grace period of leases still being deregistered.
      leases.retireAllLocked();
    }
    connection.close();
  }

  // --- called by Registration ---

  void setHealth(Registration r, HealthStatus health) {
    if (health == null || health == HealthStatus.HEALTH_STATUS_UNSPECIFIED || health == HealthStatus.UNRECOGNIZED) {
      throw new IllegalArgumentException("health must be SERVING, NOT_SERVING, DRAINING or UNKNOWN: " + health);
    }
    synchronized (lock) {
      if (!r.isActive()) {
        throw new IllegalStateException(r + " is no longer active");
      }
      r.request = r.request.toBuilder().setInstance(r.request.getInstance().toBuilder().setHealth(health)).build();
      r.health(health);
    }
    SetHealthRequest request = SetHealthRequest.newBuilder()
        .setService(r.service())
        .setInstanceId(r.instanceId())
        .setHealth(health)
        .build();
    try {
      UnaryCalls.await(UnaryCalls.call(channels, RegistryServiceGrpc.getSetHealthMethod(), request, callTimeout));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
      // The control plane lost the instance: registering it again carries the new health.
      synchronized (lock) {
        if (r.isActive() && !r.lost) {
          markLostLocked(r, "SetHealth answered NOT_FOUND");
        }
      }
    }
  }

  void deregister(Registration r) {
    synchronized (lock) {
      if (!r.isActive()) {
        return;
      }
      deactivateLocked(r);
    }
    try {
      UnaryCalls.await(UnaryCalls.call(channels, RegistryServiceGrpc.getDeregisterMethod(), deregisterRequest(r),
          callTimeout));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
    } finally {
      synchronized (lock) {
        // Left only now: until Deregister is answered, the control plane counts the lease against the
        // stream's limit. After a failure the lease lives on until its TTL; should a newcomer overfill
        // the stream meanwhile, the stream fails and reopens with the live leases only.
        leases.leaveLaneLocked(r);
      }
    }
  }

  // --- leases, under lock ---

  /** Hands {@code r}'s new lease to the keeper, which pings it from now on. */
  private void applyLeaseLocked(Registration r, Lease granted) {
    leases.keepLocked(r, new Registration.Lease(granted.getLeaseId(), ProtoDurations.fromProto(granted.getTtl()),
        ProtoDurations.fromProto(granted.getKeepaliveInterval())));
  }

  // --- re-registration, under lock ---

  private void markLostLocked(Registration r, String why) {
    log.info(() -> "lease " + r.lease().id() + " of " + r.service() + "/" + r.instanceId() + " is lost (" + why
        + "); registering the instance again");
    r.lost = true;
    leases.forgetLeaseLocked(r);
    startRegisterLocked(r);
  }

  private void startRegisterLocked(Registration r) {
    if (r.registering || !r.isActive() || closed) {
      return;
    }
    r.registering = true;
    RegisterRequest request = r.request;
    UnaryCalls.call(channels, RegistryServiceGrpc.getRegisterMethod(), request, callTimeout)
        .whenComplete((response, error) -> onRegistered(r, request, response, error));
  }

  private void onRegistered(Registration r, RegisterRequest sent, RegisterResponse response, Throwable error) {
    boolean abandoned;
    synchronized (lock) {
      r.registering = false;
      abandoned = !r.isActive() || closed;
      if (!abandoned) {
        if (error == null) {
          registeredAgainLocked(r, sent, response);
        } else {
          registeringAgainFailedLocked(r, Status.fromThrowable(error));
        }
      }
    }
    if (abandoned && error == null) {
      // Deregistered while the call was in flight: do not leave the instance behind.
      deregisterQuietly(sent, closeTimeout);
    }
  }

  private void registeredAgainLocked(Registration r, RegisterRequest sent, RegisterResponse response) {
    r.lost = false;
    r.backoff.reset();
    applyLeaseLocked(r, response.getLease());
    r.reregistered();
    log.info(() -> "registered " + r.service() + "/" + r.instanceId() + " again with lease "
        + response.getLease().getLeaseId());
    if (!r.request.equals(sent)) {
      startRegisterLocked(r); // the health changed meanwhile: the upsert carries it
    }
    leases.ensureStreamLocked(r);
  }

  private void registeringAgainFailedLocked(Registration r, Status status) {
    if (!retryable(status.getCode())) {
      log.severe(() -> "the control plane refused to register " + r.service() + "/" + r.instanceId()
          + " again: " + status + "; giving the registration up");
      deactivateLocked(r);
      leases.leaveLaneLocked(r); // its lease is dead already
      return;
    }
    long delay = r.backoff.nextDelayNanos();
    log.log(Level.WARNING, () -> "registering " + r.service() + "/" + r.instanceId() + " again failed: "
        + status + "; retrying in " + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
    r.retryTask = scheduler.schedule(() -> retryRegister(r), delay, TimeUnit.NANOSECONDS);
  }

  private void retryRegister(Registration r) {
    synchronized (lock) {
      r.retryTask = null;
      startRegisterLocked(r);
    }
  }

  /**
   * Stops everything the client does for {@code r}. It keeps its place on its lane: the caller
   * leaves the lane once the control plane no longer counts the lease.
   */
  private void deactivateLocked(Registration r) {
    r.deactivate();
    registrations.remove(key(r.service(), r.instanceId()), r);
    leases.stopLocked(r);
    if (r.retryTask != null) {
      r.retryTask.cancel(false);
      r.retryTask = null;
    }
  }

  // --- helpers ---

  /**
   * Deregisters {@code inactive} in parallel, waiting at most the close timeout: the instances not
   * deregistered by then expire with their leases.
   */
  private void deregisterAll(List<Registration> inactive) {
    CompletableFuture<?>[] calls = inactive.stream()
        .map(r -> UnaryCalls.call(channels, RegistryServiceGrpc.getDeregisterMethod(), deregisterRequest(r),
            closeTimeout))
        .toArray(CompletableFuture<?>[]::new);
    try {
      CompletableFuture.allOf(calls).get(closeTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.log(Level.WARNING, "could not deregister every instance on close; the rest expire with their leases", e);
    }
  }

  private void deregisterQuietly(RegisterRequest registered, Duration timeout) {
    DeregisterRequest request = DeregisterRequest.newBuilder()
        .setService(registered.getInstance().getService())
        .setInstanceId(registered.getInstance().getInstanceId())
        .build();
    UnaryCalls.call(channels, RegistryServiceGrpc.getDeregisterMethod(), request, timeout);
  }

  private static DeregisterRequest deregisterRequest(Registration r) {
    return DeregisterRequest.newBuilder().setService(r.service()).setInstanceId(r.instanceId()).build();
  }

  /**
   * {@code request} as the control plane stored it, to register the instance again later: under
   * the canonical service name, with the instance id it chose when none was given.
   */
  private static RegisterRequest asRegistered(RegisterRequest request, RegisterResponse response) {
    return request.toBuilder()
        .setInstance(request.getInstance().toBuilder()
            .setService(response.getService())
            .setInstanceId(response.getInstanceId()))
        .build();
  }

  /** The health the control plane registered: it takes an unspecified one as SERVING. */
  private static HealthStatus healthOf(RegisterRequest registered) {
    HealthStatus health = registered.getInstance().getHealth();
    return health == HealthStatus.HEALTH_STATUS_UNSPECIFIED ? HealthStatus.HEALTH_STATUS_SERVING : health;
  }

  private static boolean retryable(Status.Code code) {
    switch (code) {
      case INVALID_ARGUMENT:
      case PERMISSION_DENIED:
      case UNAUTHENTICATED:
      case UNIMPLEMENTED:
      case FAILED_PRECONDITION:
        return false;
      default:
        return true;
    }
  }

  private void checkOpen() {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("the registry client is closed");
      }
    }
  }

  private static String key(String service, String instanceId) {
    return service + "/" + instanceId;
  }

  /**
   * {@code Builder} configures a {@link RegistryClient}; not thread-safe. Exactly one of {@link
   * #controlPlane(String)} (or its overloads) and {@link #channels(List)} must be set.
   */
  public static final class Builder extends ConnectionBuilder<Builder> {
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;

    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    /**
     * {@code callTimeout} sets the deadline of each unary call attempt (default 5 s).
     *
     * @throws IllegalArgumentException when {@code v} is not positive
     */
    public Builder callTimeout(Duration v) {
      this.callTimeout = positive("callTimeout", v);
      return this;
    }

    /**
     * {@code closeTimeout} sets how long {@link #close()} spends deregistering (default 2 s).
     *
     * @throws IllegalArgumentException when {@code v} is not positive
     */
    public Builder closeTimeout(Duration v) {
      this.closeTimeout = positive("closeTimeout", v);
      return this;
    }

    /**
     * {@code build} creates the client; it connects on the first registration.
     *
     * @throws IllegalStateException when neither or both of addresses and channels are set
     */
    public RegistryClient build() {
      return new RegistryClient(this);
    }

    private static Duration positive(String name, Duration v) {
      if (v == null || v.isZero() || v.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive: " + v);
      }
      return v;
    }
  }
}
