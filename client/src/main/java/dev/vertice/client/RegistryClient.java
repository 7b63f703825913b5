package dev.vertice.client;

import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.Lease;
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
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
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

  private final Object lock = new Object();
  // guarded by lock
  private final Map<String, Registration> registrations = new LinkedHashMap<>();
  private final Map<String, Registration> byLease = new HashMap<>();
  private final List<Lane> lanes = new ArrayList<>();
  private boolean closed;

  private RegistryClient(Builder b) {
    this.connection = b.connect("vertice-registry-timer", WatchClient.DEFAULT_MAX_INBOUND_MESSAGE_BYTES);
    this.channels = connection.channels();
    this.scheduler = connection.scheduler();
    this.callTimeout = b.callTimeout;
    this.closeTimeout = b.closeTimeout;
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
      ensureStreamLocked(r.lane);
      return r;
    }
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
      active = List.copyOf(registrations.values());
      active.forEach(this::deactivateLocked);
    }
    deregisterAll(active);
    synchronized (lock) {
      // Only now: ending the streams earlier would start the grace period of leases still being deregistered.
      List.copyOf(lanes).forEach(this::retireLocked);
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
        leaveLaneLocked(r);
      }
    }
  }

  // --- leases, lanes and pings, under lock ---

  private void applyLeaseLocked(Registration r, Lease granted) {
    Registration.Lease old = r.lease();
    Registration.Lease next = new Registration.Lease(granted.getLeaseId(),
        ProtoDurations.fromProto(granted.getTtl()), ProtoDurations.fromProto(granted.getKeepaliveInterval()));
    if (old != null) {
      byLease.remove(old.id(), r);
    }
    r.lease(next);
    byLease.put(next.id(), r);
    placeLocked(r);
    if (r.pingTask == null || old == null || !old.keepaliveInterval().equals(next.keepaliveInterval())) {
      schedulePingsLocked(r, next.keepaliveInterval());
    }
  }

  /**
   * Puts {@code r} on the first lane with room, else on a new lane. A registration keeps its lane
   * across lease changes: its new lease replaces a dead one, which the control plane no longer
   * counts.
   */
  private void placeLocked(Registration r) {
    if (r.lane != null) {
      return;
    }
    Lane target = null;
    for (Lane lane : lanes) {
      if (lane.members.size() < MAX_LEASES_PER_STREAM) {
        target = lane;
        break;
      }
    }
    if (target == null) {
      target = new Lane(connection.newBackoff());
      lanes.add(target);
    }
    target.members.add(r);
    r.lane = target;
  }

  private void leaveLaneLocked(Registration r) {
    Lane lane = r.lane;
    r.lane = null;
    if (lane != null && lane.members.remove(r) && lane.members.isEmpty() && !closed) {
      retireLocked(lane);
    }
  }

  /** Ends {@code lane}'s stream (the server then forgets its leases) and forgets the lane. */
  private void retireLocked(Lane lane) {
    lanes.remove(lane);
    if (lane.reconnectTask != null) {
      lane.reconnectTask.cancel(false);
      lane.reconnectTask = null;
    }
    KeepAliveStream s = lane.stream;
    lane.stream = null;
    if (s != null) {
      s.halfClose();
    }
  }

  private void schedulePingsLocked(Registration r, Duration interval) {
    if (r.pingTask != null) {
      r.pingTask.cancel(false);
    }
    long nanos = Math.max(1, interval.toNanos());
    r.pingTask = scheduler.scheduleAtFixedRate(() -> ping(r), nanos, nanos, TimeUnit.NANOSECONDS);
  }

  private void ping(Registration r) {
    synchronized (lock) {
      Lane lane = r.lane;
      if (!closed && holdsLease(r) && lane != null && lane.stream != null) {
        lane.stream.send(r.lease().id());
      }
    }
  }

  private void ensureStreamLocked(Lane lane) {
    if (closed || lane == null || lane.stream != null || lane.reconnectTask != null || !lanes.contains(lane)) {
      return;
    }
    if (lane.members.stream().noneMatch(RegistryClient::holdsLease)) {
      return; // opened again once a member holds a lease
    }
    int index = channels.current();
    channels.prepare(index);
    KeepAliveStream s = new KeepAliveStream(lane, index);
    lane.stream = s;
    RegistryServiceGrpc.newStub(channels.channel(index)).keepAlive(s);
    if (lane.stream != s) {
      return; // failed at once (a direct executor delivered the failure inline)
    }
    // A new stream pings every lease at once: the old stream's end started their grace period.
    for (Registration r : lane.members) {
      if (holdsLease(r)) {
        s.send(r.lease().id());
      }
    }
  }

  private void onPingAnswered(KeepAliveStream s, KeepAliveResponse response) {
    synchronized (lock) {
      Lane lane = s.lane;
      if (s != lane.stream) {
        return;
      }
      s.answered++;
      lane.backoff.reset();
      String leaseId = response.getLeaseId();
      Registration r = byLease.get(leaseId);
      if (response.getExpired()) {
        if (r != null && holdsLease(r) && r.lease().id().equals(leaseId)) {
          markLostLocked(r, "the control plane answered that the lease expired");
        }
      } else if (r != null) {
        r.renewed();
      }
    }
  }

  private void onStreamFailed(KeepAliveStream s, Status status) {
    synchronized (lock) {
      Lane lane = s.lane;
      if (s != lane.stream) {
        return;
      }
      lane.stream = null;
      if (closed) {
        return;
      }
      channels.failed(s.index);
      long delay = lane.backoff.nextDelayNanos();
      boolean brokeALimit = status.getCode() == Status.Code.RESOURCE_EXHAUSTED
          || status.getCode() == Status.Code.INVALID_ARGUMENT; // the client broke the protocol: worth seeing
      Level level = brokeALimit ? Level.WARNING : s.answered > 0 ? Level.INFO : Level.FINE;
      log.log(level, () -> "KeepAlive stream to " + channels.label(s.index) + " ended: " + status
          + "; reconnecting to " + channels.label(channels.current()) + " in "
          + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
      lane.reconnectTask = scheduler.schedule(() -> reconnect(lane), delay, TimeUnit.NANOSECONDS);
    }
  }

  private void reconnect(Lane lane) {
    synchronized (lock) {
      lane.reconnectTask = null;
      ensureStreamLocked(lane);
    }
  }

  // --- re-registration, under lock ---

  private void markLostLocked(Registration r, String why) {
    log.info(() -> "lease " + r.lease().id() + " of " + r.service() + "/" + r.instanceId() + " is lost (" + why
        + "); registering the instance again");
    r.lost = true;
    byLease.remove(r.lease().id(), r);
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
    ensureStreamLocked(r.lane);
  }

  private void registeringAgainFailedLocked(Registration r, Status status) {
    if (!retryable(status.getCode())) {
      log.severe(() -> "the control plane refused to register " + r.service() + "/" + r.instanceId()
          + " again: " + status + "; giving the registration up");
      deactivateLocked(r);
      leaveLaneLocked(r); // its lease is dead already
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
    Registration.Lease lease = r.lease();
    if (lease != null) {
      byLease.remove(lease.id(), r);
    }
    if (r.pingTask != null) {
      r.pingTask.cancel(false);
      r.pingTask = null;
    }
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

  /** Whether {@code r} holds a lease worth pinging: active, and not waiting to be registered again. */
  private static boolean holdsLease(Registration r) {
    return r.isActive() && !r.lost;
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
   * {@code Lane} is one KeepAlive stream slot: the registrations whose leases it carries and the
   * stream currently open for them (all guarded by the client's lock).
   */
  static final class Lane {
    /**
     * Registrations pinged on this lane, at most {@link #MAX_LEASES_PER_STREAM}. Each holds at most
     * one live lease, and the control plane counts only live leases against the stream's limit,
     * so the members' count bounds what the stream carries. A member keeps its place while it is
     * registered again, and while its Deregister call is in flight.
     */
    final Set<Registration> members = new LinkedHashSet<>();
    final Backoff backoff;
    KeepAliveStream stream;
    ScheduledFuture<?> reconnectTask;

    Lane(Backoff backoff) {
      this.backoff = backoff;
    }
  }

  /** One KeepAlive stream; pings are sent under the client's lock, one at a time. */
  private final class KeepAliveStream implements ClientResponseObserver<KeepAliveRequest, KeepAliveResponse> {
    final Lane lane;
    final int index;
    int answered; // guarded by lock
    private ClientCallStreamObserver<KeepAliveRequest> requests;

    KeepAliveStream(Lane lane, int index) {
      this.lane = lane;
      this.index = index;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<KeepAliveRequest> requestStream) {
      this.requests = requestStream;
    }

    void send(String leaseId) {
      requests.onNext(KeepAliveRequest.newBuilder().setLeaseId(leaseId).build());
    }

    void halfClose() {
      requests.onCompleted();
    }

    @Override
    public void onNext(KeepAliveResponse response) {
      onPingAnswered(this, response);
    }

    @Override
    public void onError(Throwable t) {
      onStreamFailed(this, Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      onStreamFailed(this, Status.UNAVAILABLE.withDescription("the control plane ended the KeepAlive stream"));
    }
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
