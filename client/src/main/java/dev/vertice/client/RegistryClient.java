package dev.vertice.client;

import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.DeregisterResponse;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.Lease;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.client.internal.Backoff;
import dev.vertice.client.internal.ControlPlaneChannels;
import dev.vertice.client.internal.ProtoDurations;
import dev.vertice.client.internal.Threads;
import dev.vertice.client.internal.UnaryCalls;
import dev.vertice.common.Ticker;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
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
 * carries at most {@value #MAX_LEASES_PER_STREAM} leases (the control plane's limit); a client
 * holding more registrations opens one more stream per {@value #MAX_LEASES_PER_STREAM} leases.
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
 * <p>Thread-safe. Time comes from the injected {@link Ticker} and timers run on the injected
 * scheduler, so tests can drive pings and reconnects with a fake clock.
 */
public final class RegistryClient implements AutoCloseable {

  private static final Logger log = Logger.getLogger(RegistryClient.class.getName());

  /** Deadline of each unary call attempt when none is configured. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);
  /** Time {@link #close()} spends deregistering when none is configured. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(2);
  /** Most leases one KeepAlive stream may carry: the control plane ends a stream at the next one. */
  public static final int MAX_LEASES_PER_STREAM = 1024;

  private final ControlPlaneChannels channels;
  private final ScheduledExecutorService scheduler;
  private final ScheduledExecutorService ownedScheduler;
  private final Random random;
  private final BackoffConfig backoffConfig;
  private final Duration callTimeout;
  private final Duration closeTimeout;

  private final Object lock = new Object();
  // guarded by lock
  private final Map<String, Registration> registrations = new LinkedHashMap<>();
  private final Map<String, Registration> byLease = new HashMap<>();
  private final List<Lane> lanes = new ArrayList<>();
  private boolean closed;

  private RegistryClient(Builder b, ControlPlaneChannels channels) {
    this.channels = channels;
    if (b.scheduler == null) {
      this.ownedScheduler = Threads.scheduler("vertice-registry-timer");
      this.scheduler = ownedScheduler;
    } else {
      this.ownedScheduler = null;
      this.scheduler = b.scheduler;
    }
    this.random = b.random;
    this.backoffConfig = b.backoff;
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
    RegisterRequest stored = request.toBuilder()
        .setInstance(request.getInstance().toBuilder()
            .setService(response.getService())
            .setInstanceId(response.getInstanceId()))
        .build();
    synchronized (lock) {
      if (closed) {
        deregisterQuietly(stored, callTimeout);
        throw new IllegalStateException("the registry client was closed during register");
      }
      String key = key(response.getService(), response.getInstanceId());
      Registration r = registrations.get(key);
      if (r == null) {
        r = new Registration(this, response.getService(), response.getInstanceId(),
            new Backoff(backoffConfig, random));
        registrations.put(key, r);
      }
      r.request = stored;
      r.health(stored.getInstance().getHealth() == HealthStatus.HEALTH_STATUS_UNSPECIFIED
          ? HealthStatus.HEALTH_STATUS_SERVING : stored.getInstance().getHealth());
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
      active = new ArrayList<>(registrations.values());
      for (Registration r : active) {
        deactivateLocked(r);
      }
    }
    List<CompletableFuture<DeregisterResponse>> calls = new ArrayList<>();
    for (Registration r : active) {
      calls.add(UnaryCalls.call(channels, RegistryServiceGrpc.getDeregisterMethod(), deregisterRequest(r),
          closeTimeout));
    }
    try {
      CompletableFuture.allOf(calls.toArray(CompletableFuture<?>[]::new))
          .get(closeTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.log(Level.WARNING, "could not deregister every instance on close; the rest expire with their leases", e);
    }
    synchronized (lock) {
      // Only now: ending the streams earlier would start the grace period of leases still being deregistered.
      for (Lane lane : List.copyOf(lanes)) {
        retireLocked(lane);
      }
    }
    channels.close();
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
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
    Lane lane;
    String leaseId;
    synchronized (lock) {
      if (!r.isActive()) {
        return;
      }
      lane = r.lane;
      leaseId = r.lease().id();
      deactivateLocked(r);
    }
    try {
      UnaryCalls.await(UnaryCalls.call(channels, RegistryServiceGrpc.getDeregisterMethod(), deregisterRequest(r),
          callTimeout));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
    }
    if (lane != null) {
      synchronized (lock) {
        // The lease is gone now: free its place on the stream.
        releaseLocked(lane, leaseId);
      }
    }
  }

  // --- leases, lanes and pings, under lock ---

  private void applyLeaseLocked(Registration r, Lease granted) {
    Registration.Lease old = r.lease();
    Registration.Lease next = new Registration.Lease(granted.getLeaseId(),
        ProtoDurations.fromProto(granted.getTtl()), ProtoDurations.fromProto(granted.getKeepaliveInterval()));
    if (old != null && !old.id().equals(next.id())) {
      byLease.remove(old.id(), r);
      if (r.lane != null) {
        releaseLocked(r.lane, old.id());
      }
    }
    r.lease(next);
    byLease.put(next.id(), r);
    placeLocked(r, next.id());
    if (r.pingTask == null || old == null || !old.keepaliveInterval().equals(next.keepaliveInterval())) {
      if (r.pingTask != null) {
        r.pingTask.cancel(false);
      }
      long interval = Math.max(1, next.keepaliveInterval().toNanos());
      r.pingTask = scheduler.scheduleAtFixedRate(() -> ping(r), interval, interval, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Puts {@code leaseId} of {@code r} on a lane with room: its own lane when possible, else the
   * first lane below the limit, else a new lane.
   */
  private void placeLocked(Registration r, String leaseId) {
    Lane current = r.lane;
    if (current != null && (current.slots.contains(leaseId) || current.slots.size() < MAX_LEASES_PER_STREAM)) {
      current.slots.add(leaseId);
      return;
    }
    if (current != null) {
      leaveLaneLocked(r);
    }
    Lane target = null;
    for (Lane lane : lanes) {
      if (lane.slots.size() < MAX_LEASES_PER_STREAM) {
        target = lane;
        break;
      }
    }
    if (target == null) {
      target = new Lane(new Backoff(backoffConfig, random));
      lanes.add(target);
    }
    target.members.add(r);
    target.slots.add(leaseId);
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
    lane.slots.clear();
    if (s != null) {
      s.halfClose();
    }
  }

  /**
   * Frees the place of a dead lease on {@code lane}'s stream. The control plane counts a lease
   * against a stream's limit from its first ping until a ping on that stream is answered expired
   * (or the stream ends), even after a Deregister: so the dead lease is pinged once more, and the
   * expired answer frees its place.
   */
  private void releaseLocked(Lane lane, String leaseId) {
    if (lane.stream == null) {
      lane.slots.remove(leaseId); // a new stream starts with the leases of its members only
    } else if (lane.slots.contains(leaseId)) {
      lane.stream.send(leaseId);
    }
  }

  private void ping(Registration r) {
    synchronized (lock) {
      Lane lane = r.lane;
      if (!closed && r.isActive() && !r.lost && lane != null && lane.stream != null) {
        lane.stream.send(r.lease().id());
      }
    }
  }

  private void ensureStreamLocked(Lane lane) {
    if (closed || lane == null || lane.stream != null || lane.reconnectTask != null || !lanes.contains(lane)) {
      return;
    }
    boolean anyLease = lane.members.stream().anyMatch(r -> !r.lost);
    if (!anyLease) {
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
    // The server counts leases per stream: a new one holds only what it is about to be sent.
    lane.slots.clear();
    // A new stream pings every lease at once: the old stream's end started their grace period.
    for (Registration r : lane.members) {
      if (!r.lost) {
        lane.slots.add(r.lease().id());
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
        // The server no longer carries this lease on the stream.
        lane.slots.remove(leaseId);
        if (r != null && r.isActive() && !r.lost && r.lease().id().equals(leaseId)) {
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
    boolean undo = false;
    synchronized (lock) {
      r.registering = false;
      if (!r.isActive() || closed) {
        // Deregistered while the call was in flight: do not leave the instance behind.
        undo = error == null;
      } else if (error == null) {
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
      } else {
        Status status = Status.fromThrowable(error);
        if (retryable(status.getCode())) {
          long delay = r.backoff.nextDelayNanos();
          log.log(Level.WARNING, () -> "registering " + r.service() + "/" + r.instanceId() + " again failed: "
              + status + "; retrying in " + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
          r.retryTask = scheduler.schedule(() -> {
            synchronized (lock) {
              r.retryTask = null;
              startRegisterLocked(r);
            }
          }, delay, TimeUnit.NANOSECONDS);
        } else {
          log.severe(() -> "the control plane refused to register " + r.service() + "/" + r.instanceId()
              + " again: " + status + "; giving the registration up");
          deactivateLocked(r);
        }
      }
    }
    if (undo) {
      deregisterQuietly(sent, closeTimeout);
    }
  }

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
    leaveLaneLocked(r);
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
    /** Registrations pinged on this lane, whether or not they hold a live lease right now. */
    final Set<Registration> members = new LinkedHashSet<>();
    /**
     * Lease ids the control plane may count against the current stream's limit: the members'
     * leases and dead leases not yet answered expired on it. Never more than {@link
     * #MAX_LEASES_PER_STREAM}.
     */
    final Set<String> slots = new HashSet<>();
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
  public static final class Builder {
    private ControlPlaneAddresses addresses;
    private List<? extends Channel> channels;
    private BackoffConfig backoff = BackoffConfig.ofDefaults();
    private ScheduledExecutorService scheduler;
    private Random random = new Random();
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;

    private Builder() {}

    /**
     * {@code controlPlane} sets the control-plane replicas as a comma-separated {@code host:port}
     * list; the client builds (and owns) a plaintext channel to each.
     *
     * @throws IllegalArgumentException when the list is malformed
     */
    public Builder controlPlane(String commaSeparated) {
      return controlPlane(ControlPlaneAddresses.parse(commaSeparated));
    }

    /** {@code controlPlane} sets the control-plane replicas as {@code host:port} strings. */
    public Builder controlPlane(List<String> addresses) {
      return controlPlane(new ControlPlaneAddresses(addresses));
    }

    /** {@code controlPlane} sets the control-plane replicas. */
    public Builder controlPlane(ControlPlaneAddresses addresses) {
      this.addresses = Objects.requireNonNull(addresses, "addresses");
      return this;
    }

    /**
     * {@code channels} sets ready-made channels, one per replica, tried in order (for example
     * in-process channels in tests). The client borrows them: {@link #close()} leaves them open.
     */
    public Builder channels(List<? extends Channel> channels) {
      this.channels = List.copyOf(channels);
      return this;
    }

    /** {@code channel} is {@link #channels(List)} with one channel. */
    public Builder channel(Channel channel) {
      return channels(List.of(channel));
    }

    /** {@code backoff} sets the reconnect backoff (default {@link BackoffConfig#ofDefaults()}). */
    public Builder backoff(BackoffConfig v) {
      this.backoff = Objects.requireNonNull(v, "backoff");
      return this;
    }

    /**
     * {@code scheduler} sets the scheduler of pings and reconnects (default: a daemon thread owned
     * and shut down by the client). A borrowed scheduler is not shut down.
     */
    public Builder scheduler(ScheduledExecutorService v) {
      this.scheduler = Objects.requireNonNull(v, "scheduler");
      return this;
    }

    /** {@code random} sets the source of backoff jitter (default: an unseeded {@link Random}). */
    public Builder random(Random v) {
      this.random = Objects.requireNonNull(v, "random");
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
      return new RegistryClient(this,
          WatchClient.resolveChannels(addresses, channels, WatchClient.DEFAULT_MAX_INBOUND_MESSAGE_BYTES));
    }

    private static Duration positive(String name, Duration v) {
      if (v == null || v.isZero() || v.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive: " + v);
      }
      return v;
    }
  }
}
