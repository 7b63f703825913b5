package dev.vertice.chaos;

import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.GetServiceRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code ChurnWriter} registers, renews (KeepAlive), deregisters and abandons (a crash: no renewal, no
 * deregistration) instances of one service through the control planes at a fixed rate, trying the next
 * control plane when one does not answer, as a client would. It records every write a control plane
 * acknowledged, and {@link #verify} checks the registry against them: an acknowledged registration whose
 * lease is live must be there, an acknowledged deregistration must not come back; an abandoned instance
 * still there after its TTL is reported apart. A renewal answered "expired" for a lease acknowledged less than a TTL ago is a loss too.
 * Renewals go on one long-lived KeepAlive stream, as the SDK's (a stream that ends puts its leases in the
 * grace period); a stream that errs or leaves a ping unanswered for the call timeout is replaced by one to
 * the next control plane, carrying every lease at once.
 */
public final class ChurnWriter implements AutoCloseable {

  /** The churn's service. */
  public static final String SERVICE = "chaos-churn";
  /** Lease TTL of the churn's instances. */
  public static final Duration TTL = Duration.ofSeconds(15);
  /** How many instances the writer keeps registered at most. */
  static final int MAX_LIVE = 40;
  private static final long CALL_TIMEOUT_MS = 2_000;
  /** The control plane's lease grace (RegistryConfig's default) plus a margin for the sweep. */
  private static final Duration EXPIRY_SLACK = Duration.ofSeconds(8);

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final int rate;
  private final FaultLog log;
  private final Object lock = new Object();
  /** Live instances: id to lease id and the time of the last acknowledged register or renewal. */
  private final Map<String, Lease> live = new HashMap<>();
  /** Acknowledged deregistrations: id to the time. */
  private final Map<String, Long> deregistered = new HashMap<>();
  /** Abandoned instances: id to the time of their last acknowledged write. */
  private final Map<String, Long> crashed = new HashMap<>();
  /** Ids whose last write's outcome is unknown (no answer): checked for nothing. */
  private final Set<String> uncertain = new HashSet<>();
  private final List<String> lost = new ArrayList<>();
  private final Map<String, Long> acknowledged = new TreeMap<>();
  private final Map<String, Long> unacknowledged = new TreeMap<>();
  private final Thread thread;
  private volatile boolean running = true;
  private long seq;
  private KeepAliveStream stream;
  private int next;

  /** A live lease: its id, its last acknowledged write and its last ping sent (0: none on this stream). */
  private record Lease(String leaseId, long ackedAt, long pingedAt) {}

  /** Starts writing to {@code controlPlanes} ({@code host:port,...}) at {@code rate} writes per second. */
  public ChurnWriter(String controlPlanes, int rate, FaultLog log) {
    for (String cp : controlPlanes.split(",")) {
      channels.add(Grpc.newChannelBuilder(cp.strip(), InsecureChannelCredentials.create()).build());
    }
    this.rate = rate;
    this.log = log;
    this.thread = new Thread(this::loop, "chaos-churn");
    this.thread.setDaemon(true);
    if (rate > 0) {
      thread.start();
    }
  }

  private void loop() {
    long period = 1_000_000_000L / rate;
    long nextAt = System.nanoTime();
    while (running) {
      long now = System.nanoTime();
      if (now < nextAt) {
        try {
          Thread.sleep((nextAt - now) / 1_000_000, (int) ((nextAt - now) % 1_000_000));
        } catch (InterruptedException e) {
          return;
        }
        continue;
      }
      nextAt = Math.max(nextAt + period, now - 1_000_000_000L);
      synchronized (lock) {
        try {
          step();
        } catch (RuntimeException e) {
          log.event("churn: " + e);
        }
      }
    }
  }

  private void step() {
    pingDue();
    int r = ThreadLocalRandom.current().nextInt(100);
    List<String> ids = new ArrayList<>(live.keySet());
    if (ids.isEmpty() || (r < 55 && ids.size() < MAX_LIVE)) {
      register("churn-" + ProcessHandle.current().pid() + "-" + (++seq));
    } else if (r < 85) {
      deregister(ids.get(ThreadLocalRandom.current().nextInt(ids.size())));
    } else {
      String id = ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
      crashed.put(id, live.remove(id).ackedAt());
      count(acknowledged, "crash (abandoned)");
    }
  }

  private void register(String id) {
    RegisterRequest req = RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService(SERVICE)
        .setInstanceId(id).setAddress("127.0.0.1").setPort(9).setProtocol(Protocol.PROTOCOL_HTTP).setVersion("v1")
        .setWeight(1).setHealth(HealthStatus.HEALTH_STATUS_SERVING)).setTtl(com.google.protobuf.Duration.newBuilder()
        .setSeconds(TTL.toSeconds()))
        .build();
    Optional<RegisterResponse> r = call("register", stub -> stub.register(req));
    if (r.isPresent()) {
      live.put(id, new Lease(r.get().getLease().getLeaseId(), System.nanoTime(), 0));
    } else {
      uncertain.add(id);
    }
  }

  private void deregister(String id) {
    Lease lease = live.remove(id);
    Optional<?> r = call("deregister", stub -> stub.deregister(DeregisterRequest.newBuilder().setService(SERVICE)
        .setInstanceId(id).build()));
    if (r.isPresent()) {
      deregistered.put(id, System.nanoTime());
    } else if (lease != null) {
      uncertain.add(id);
    }
  }

  /** Pings every live lease due on the KeepAlive stream, opening one (on the next control plane) if needed. */
  private void pingDue() {
    long now = System.nanoTime();
    if (stream != null && stream.waitingSince > 0 && now - stream.waitingSince > CALL_TIMEOUT_MS * 1_000_000) {
      // No answer: the control plane is stopped or cut off; the next stream goes to another one.
      count(unacknowledged, "renew: no answer in " + CALL_TIMEOUT_MS + " ms");
      stream.cancel();
      stream = null;
    }
    if (live.isEmpty()) {
      return;
    }
    if (stream == null) {
      stream = new KeepAliveStream(Math.floorMod(next++, channels.size()));
      // A new stream carries every lease at once: the last one may have ended with them in the grace period.
      live.replaceAll((id, l) -> new Lease(l.leaseId(), l.ackedAt(), 0));
    }
    for (Map.Entry<String, Lease> e : live.entrySet()) {
      Lease l = e.getValue();
      if (now - l.pingedAt() > TTL.toNanos() / 3 && (l.pingedAt() == 0 || now - l.ackedAt() > TTL.toNanos() / 3)) {
        stream.ping(l.leaseId());
        e.setValue(new Lease(l.leaseId(), l.ackedAt(), now));
      }
    }
  }

  /** A KeepAlive answer, on the stream's thread. */
  private void answered(KeepAliveResponse resp) {
    synchronized (lock) {
      for (Map.Entry<String, Lease> e : live.entrySet()) {
        Lease lease = e.getValue();
        if (!lease.leaseId().equals(resp.getLeaseId())) {
          continue;
        }
        String id = e.getKey();
        if (resp.getExpired()) {
          long age = System.nanoTime() - lease.ackedAt();
          live.remove(id);
          if (age < TTL.toNanos()) {
            lost.add(id + ": renewal answered 'expired' " + age / 1_000_000 + " ms after its last acknowledged write");
          } else {
            // Its renewals failed for longer than its TTL (an outage): expired by the rules.
            count(unacknowledged, "renew: expired after " + age / 1_000_000_000 + " s without renewal");
            crashed.put(id, lease.ackedAt());
          }
        } else {
          e.setValue(new Lease(lease.leaseId(), System.nanoTime(), lease.pingedAt()));
          count(acknowledged, "renew");
        }
        return;
      }
    }
  }

  /** The writer's one KeepAlive stream to one control plane. */
  private final class KeepAliveStream implements StreamObserver<KeepAliveResponse> {
    private final StreamObserver<KeepAliveRequest> requests;
    private final io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
    /** When the oldest unanswered ping was sent, 0 when none waits. */
    volatile long waitingSince;
    private int waiting;

    KeepAliveStream(int cp) {
      io.grpc.Context previous = context.attach();
      try {
        requests = RegistryServiceGrpc.newStub(channels.get(cp)).keepAlive(this);
      } finally {
        context.detach(previous);
      }
    }

    void ping(String leaseId) {
      synchronized (this) {
        if (waiting++ == 0) {
          waitingSince = System.nanoTime();
        }
      }
      requests.onNext(KeepAliveRequest.newBuilder().setLeaseId(leaseId).build());
    }

    void cancel() {
      context.cancel(null);
    }

    @Override
    public void onNext(KeepAliveResponse v) {
      synchronized (this) {
        waiting = Math.max(0, waiting - 1);
        waitingSince = waiting == 0 ? 0 : System.nanoTime();
      }
      answered(v);
    }

    @Override
    public void onError(Throwable t) {
      ended("renew stream: " + Status.fromThrowable(t).getCode());
    }

    @Override
    public void onCompleted() {
      ended("renew stream: completed");
    }

    private void ended(String why) {
      synchronized (lock) {
        if (stream == this) {
          stream = null;
          count(unacknowledged, why);
        }
      }
    }
  }

  private interface Call<T> {
    T apply(RegistryServiceGrpc.RegistryServiceBlockingStub stub);
  }

  private <T> Optional<T> call(String what, Call<T> call) {
    for (int attempt = 0; attempt < channels.size(); attempt++) {
      int i = Math.floorMod(next++, channels.size());
      try {
        T r = call.apply(RegistryServiceGrpc.newBlockingStub(channels.get(i))
            .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS));
        count(acknowledged, what);
        return Optional.of(r);
      } catch (StatusRuntimeException e) {
        if (!retryable(e.getStatus()) || attempt == channels.size() - 1) {
          count(unacknowledged, what + ": " + e.getStatus().getCode());
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  private static boolean retryable(Status s) {
    return s.getCode() == Status.Code.UNAVAILABLE || s.getCode() == Status.Code.DEADLINE_EXCEEDED
        || s.getCode() == Status.Code.CANCELLED;
  }

  private static void count(Map<String, Long> m, String key) {
    m.merge(key, 1L, Long::sum);
  }

  /**
   * Pauses the writes, reads the service from every control plane in {@code controlPlanes}' order that
   * answers, and returns what the registry lost or kept against the acknowledged writes: live leases
   * missing, deregistered instances present, abandoned instances present after their TTL and the grace.
   * Also returns (and clears) the renewals answered "expired" too early since the last call.
   */
  public Verdict verify() {
    synchronized (lock) {
      long now = System.nanoTime();
      List<String> problems = new ArrayList<>(lost);
      lost.clear();
      List<String> lingering = new ArrayList<>();
      int checked = 0;
      for (int i = 0; i < channels.size(); i++) {
        Set<String> present = new HashSet<>();
        try {
          RegistryServiceGrpc.newBlockingStub(channels.get(i)).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
              .getService(GetServiceRequest.newBuilder().setService(SERVICE).build()).getInstancesList()
              .forEach(in -> present.add(in.getInstanceId()));
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
            continue;
          }
        }
        checked++;
        String cp = "control plane " + (i + 1);
        for (Map.Entry<String, Lease> e : live.entrySet()) {
          if (!present.contains(e.getKey()) && !uncertain.contains(e.getKey())
              && now - e.getValue().ackedAt() < TTL.toNanos()) {
            problems.add(e.getKey() + ": acknowledged and renewed, missing on " + cp);
          }
        }
        for (Map.Entry<String, Long> e : deregistered.entrySet()) {
          if (present.contains(e.getKey()) && !uncertain.contains(e.getKey())
              && now - e.getValue() > Duration.ofSeconds(2).toNanos()) {
            problems.add(e.getKey() + ": deregistered (acknowledged), back on " + cp);
          }
        }
        for (Map.Entry<String, Long> e : crashed.entrySet()) {
          if (present.contains(e.getKey()) && !uncertain.contains(e.getKey())
              && now - e.getValue() > TTL.plus(EXPIRY_SLACK).toNanos()) {
            // Not a lost write: the writer's KeepAlive stream, which carried its lease, is still open.
            lingering.add(e.getKey() + ": abandoned " + (now - e.getValue()) / 1_000_000_000 + " s ago, still on "
                + cp);
          }
        }
      }
      return new Verdict(checked, live.size(), problems, lingering, new TreeMap<>(acknowledged),
          new TreeMap<>(unacknowledged));
    }
  }

  /** Counts of acknowledged and failed writes so far, by kind. */
  public Map<String, Long> acknowledged() {
    synchronized (lock) {
      return new TreeMap<>(acknowledged);
    }
  }

  /** Failed writes so far, by kind and status. */
  public Map<String, Long> unacknowledged() {
    synchronized (lock) {
      return new TreeMap<>(unacknowledged);
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void stop() throws InterruptedException {
    running = false;
    thread.interrupt();
    thread.join(5_000);
    synchronized (lock) {
      if (stream != null) {
        stream.cancel();
      }
    }
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
  }

  /**
   * What {@link #verify} found.
   *
   * @param controlPlanesChecked control planes that answered
   * @param liveLeases instances the writer keeps registered
   * @param problems each acknowledged write the registry lost or undid, one line each
   * @param lingering abandoned instances still registered after their TTL and the grace (the writer's open
   *     KeepAlive stream carried their leases): reported, not counted as lost
   * @param acknowledged acknowledged writes so far, by kind
   * @param unacknowledged failed writes so far, by kind and status
   */
  public record Verdict(int controlPlanesChecked, int liveLeases, List<String> problems, List<String> lingering,
      Map<String, Long> acknowledged, Map<String, Long> unacknowledged) {}
}
