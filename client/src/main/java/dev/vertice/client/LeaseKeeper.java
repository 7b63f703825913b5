package dev.vertice.client;

import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.client.internal.ControlPlaneChannels;
import dev.vertice.client.internal.ControlPlaneConnection;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code LeaseKeeper} keeps the leases of a {@link RegistryClient}'s registrations alive: it
 * places each registration on a lane (one KeepAlive stream carrying at most a fixed number of
 * live leases), pings each lease at its keepalive interval, reconnects a failed stream after a
 * jittered backoff to the next replica and then pings all its leases at once, and reports a lease
 * the control plane answered as expired.
 *
 * <p>It makes no unary call: registering, re-registering a lost instance and deregistering stay
 * with the registry client, which tells the keeper when a registration's lease changes or ends.
 * Package-private; every method ending in {@code Locked} is called holding the registry client's
 * lock, and the stream callbacks take that lock.
 */
final class LeaseKeeper {

  private static final Logger log = Logger.getLogger(RegistryClient.class.getName());

  /** What the keeper tells its registry client. */
  interface LeaseLost {
    /** Called holding the lock when the control plane answered that {@code r}'s lease expired. */
    void leaseLostLocked(Registration r, String why);
  }

  private final ControlPlaneConnection connection;
  private final ControlPlaneChannels channels;
  private final ScheduledExecutorService scheduler;
  private final Object lock;
  private final int maxLeasesPerStream;
  private final LeaseLost leaseLost;

  // guarded by lock
  private final Map<String, Registration> byLease = new HashMap<>();
  private final List<Lane> lanes = new ArrayList<>();
  private boolean closing;

  LeaseKeeper(ControlPlaneConnection connection, Object lock, int maxLeasesPerStream, LeaseLost leaseLost) {
    this.connection = connection;
    this.channels = connection.channels();
    this.scheduler = connection.scheduler();
    this.lock = lock;
    this.maxLeasesPerStream = maxLeasesPerStream;
    this.leaseLost = leaseLost;
  }

  /**
   * Keeps {@code next}, {@code r}'s new lease, alive: it replaces the old one, {@code r} is placed
   * on a lane if it has none, and pings are (re)scheduled when the interval changed. The caller
   * then {@linkplain #ensureStreamLocked opens} the lane's stream.
   */
  void keepLocked(Registration r, Registration.Lease next) {
    Registration.Lease old = r.lease();
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

  /** Stops pinging {@code r}'s lease, which is lost or deregistered; {@code r} keeps its lane. */
  void forgetLeaseLocked(Registration r) {
    Registration.Lease lease = r.lease();
    if (lease != null) {
      byLease.remove(lease.id(), r);
    }
  }

  /** Stops pinging {@code r} for good (it is no longer active); it keeps its lane until {@link #leaveLaneLocked}. */
  void stopLocked(Registration r) {
    forgetLeaseLocked(r);
    if (r.pingTask != null) {
      r.pingTask.cancel(false);
      r.pingTask = null;
    }
  }

  /**
   * Takes {@code r} off its lane, once the control plane no longer counts its lease; an emptied
   * lane ends its stream, unless the client is closing (it then ends every stream at once).
   */
  void leaveLaneLocked(Registration r) {
    Lane lane = r.lane;
    r.lane = null;
    if (lane != null && lane.members.remove(r) && lane.members.isEmpty() && !closing) {
      retireLocked(lane);
    }
  }

  /** The client is closing: no more pings or reconnects; the streams stay open until {@link #retireAllLocked}. */
  void closingLocked() {
    closing = true;
  }

  /** Ends every stream (the server then forgets their leases). */
  void retireAllLocked() {
    List.copyOf(lanes).forEach(this::retireLocked);
  }

  /**
   * Opens the stream of {@code r}'s lane if it has none and none is pending, and some member holds
   * a lease; a new stream pings every lease at once, since the old stream's end started their
   * grace period.
   */
  void ensureStreamLocked(Registration r) {
    Lane lane = r.lane;
    ensureStreamLocked(lane);
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
      if (lane.members.size() < maxLeasesPerStream) {
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
      if (!closing && holdsLease(r) && lane != null && lane.stream != null) {
        lane.stream.send(r.lease().id());
      }
    }
  }

  private void ensureStreamLocked(Lane lane) {
    if (closing || lane == null || lane.stream != null || lane.reconnectTask != null || !lanes.contains(lane)) {
      return;
    }
    if (lane.members.stream().noneMatch(LeaseKeeper::holdsLease)) {
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
          leaseLost.leaseLostLocked(r, "the control plane answered that the lease expired");
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
      if (closing) {
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

  /** Whether {@code r} holds a lease worth pinging: active, and not waiting to be registered again. */
  static boolean holdsLease(Registration r) {
    return r.isActive() && !r.lost;
  }

  /**
   * {@code Lane} is one KeepAlive stream slot: the registrations whose leases it carries and the
   * stream currently open for them (all guarded by the client's lock).
   */
  static final class Lane {
    /**
     * Registrations pinged on this lane, at most the keeper's limit. Each holds at most one live
     * lease, and the control plane counts only live leases against the stream's limit, so the
     * members' count bounds what the stream carries. A member keeps its place while it is
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
}
