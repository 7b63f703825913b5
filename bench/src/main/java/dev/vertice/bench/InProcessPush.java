package dev.vertice.bench;

import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.Node;
import dev.vertice.api.discovery.v1.Resource;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.push.Versions;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code InProcessPush} is the former {@code bench push}, kept as the secondary "in-process" row of
 * {@code bench push --in-process}: the control plane and every watcher in the bench's own JVM, one
 * change at a time, over real loopback connections (one per watcher, or {@code perConnection} per
 * connection): on the in-memory store, or several replicas sharing Redis with the watchers spread
 * over them and every change written through the first. It is not what a user sees (no process
 * boundary, no separate scheduling), hence the label.
 */
final class InProcessPush {

  private static final String SERVICE = "bench-svc";

  private final int rounds;
  private final int warmupSeconds;
  private final int perConnection;
  private final int replicas;

  InProcessPush(int rounds, int warmupSeconds, int perConnection, int replicas) {
    this.rounds = rounds;
    this.warmupSeconds = warmupSeconds;
    this.perConnection = perConnection;
    this.replicas = replicas;
  }

  /** Runs {@code n} watchers on {@code on}; the row, or an exception when the control plane cannot start. */
  Map<String, Object> run(BenchStore on, int n) throws Exception {
    // Connections (groups of --watchers-per-connection watchers) go round-robin over the replicas.
    int connections = (n + perConnection - 1) / perConnection;
    int[] watchersOn = new int[replicas];
    for (int i = 0; i < n; i++) {
      watchersOn[(i / perConnection) % replicas]++;
    }
    AtomicBoolean measuring = new AtomicBoolean();
    List<ReplicaConvergence> convergence = new ArrayList<>(replicas);
    for (int r = 0; r < replicas; r++) {
      convergence.add(new ReplicaConvergence(watchersOn[r], measuring));
    }
    BenchServer started;
    try {
      started = new BenchServer(on, replicas, convergence::get);
    } catch (IllegalStateException | IOException e) {
      throw new IllegalStateException("cannot start the control plane: " + e.getMessage(), e);
    }
    try (BenchServer bench = started) {
      Channel registryChannel = bench.channel();
      var registry = RegistryServiceGrpc.newBlockingStub(registryChannel);
      Instance.Builder instance = Instance.newBuilder().setService(SERVICE).setInstanceId("i-1")
          .setAddress("127.0.0.1").setPort(8080);
      registry.register(RegisterRequest.newBuilder().setInstance(instance.putMetadata("seq", "0")).build());

      // Versions are equal on every replica of a store; each watcher parses with its own replica's.
      Versions versions = bench.replica(0).controlPlane().engine().versions();
      AtomicReference<Round> round = new AtomicReference<>(new Round(Long.MAX_VALUE, n));
      List<Watcher> ws = new ArrayList<>(n);
      Channel shared = null;
      for (int i = 0; i < n; i++) {
        int replica = (i / perConnection) % replicas;
        Watcher w = new Watcher(round, bench.replica(replica).controlPlane().engine().versions());
        if (i % perConnection == 0) {
          shared = bench.channel(replica);
        }
        DiscoveryServiceGrpc.newStub(shared).watch(w);
        w.subscribe("bench-" + i);
        ws.add(w);
      }
      for (Watcher w : ws) {
        if (!w.subscribed.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("a watcher got no initial state within 30 s");
        }
      }

      long[] latencies = new long[rounds];
      long[] measured = new long[rounds];
      long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
      int seq = 0;
      for (int r = -1; r < rounds; r++) {
        if (r == -1 && System.nanoTime() < warmupEnd) {
          r--; // still warming up: stay before the first measured round
        }
        measuring.set(r >= 0);
        long start = System.nanoTime();
        var resp = registry.register(RegisterRequest.newBuilder()
            .setInstance(instance.putMetadata("seq", Integer.toString(++seq))).build());
        Round current = new Round(versions.parse(resp.getResourceVersion()), n);
        round.set(current);
        for (Watcher w : ws) {
          w.check(current);
        }
        if (!current.done.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("round " + r + ": only " + (n - current.done.getCount()) + " of " + n
              + " watchers received the change within 30 s");
        }
        if (r >= 0) {
          latencies[r] = current.lastArrival.get() - start;
          measured[r] = current.version;
        }
        // Each change is measured alone: the next starts once every watcher, on every replica, ACKed
        // this one. Every replica holding watchers has recorded the change by now (they all hold it).
        for (var replica : bench.replicas()) {
          replica.controlPlane().engine()
              .whenConverged(ResourceTypes.ENDPOINTS, SERVICE, current.version).get(30, TimeUnit.SECONDS);
        }
      }
      measuring.set(false);
      for (Watcher w : ws) {
        w.close();
      }
      long[] sorted = latencies.clone();
      java.util.Arrays.sort(sorted);
      long[] conv = ReplicaConvergence.acrossReplicas(convergence, measured);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("mode", "in-process");
      row.put("store", on.kind());
      row.put("replicas", replicas);
      row.put("watchers", n);
      row.put("connections", connections);
      row.put("rounds", rounds);
      row.put("p50_ms", Report.millis(Report.quantile(sorted, 0.50)));
      row.put("p99_ms", Report.millis(Report.quantile(sorted, 0.99)));
      row.put("max_ms", Report.millis(sorted[sorted.length - 1]));
      row.put("convergence_p50_ms", Report.millis(Report.quantile(conv, 0.50)));
      row.put("convergence_p99_ms", Report.millis(Report.quantile(conv, 0.99)));
      return row;
    }
  }

  /**
   * One replica's convergence of the measured changes: when the change reached the replica's
   * registry and when the last of its watchers ACKed it, on {@link System#nanoTime()}, the clock
   * every replica's engine measures with.
   */
  static final class ReplicaConvergence implements ConvergenceListener {
    private record Times(long changedAt, long answeredAt) {}

    private final int watchers;
    private final AtomicBoolean measuring;
    private final Map<Long, Times> byVersion = new ConcurrentHashMap<>();

    ReplicaConvergence(int watchers, AtomicBoolean measuring) {
      this.watchers = watchers;
      this.measuring = measuring;
    }

    @Override
    public void onConverged(String typeUrl, String name, long version, long nanos, int subscribers) {
      // Only changes that every watcher of this replica needed: not the initial state of a late one.
      if (measuring.get() && subscribers == watchers) {
        long now = System.nanoTime();
        byVersion.put(version, new Times(now - nanos, now));
      }
    }

    /**
     * Returns, sorted, the convergence of each measured change across the replicas that hold
     * watchers: from the first replica holding the change to the last ACK on any replica. With one
     * replica that is the engine's own figure.
     */
    static long[] acrossReplicas(List<ReplicaConvergence> replicas, long[] versions) {
      List<Long> out = new ArrayList<>(versions.length);
      for (long v : versions) {
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        boolean everywhere = true;
        for (ReplicaConvergence r : replicas) {
          if (r.watchers == 0) {
            continue;
          }
          Times t = r.byVersion.get(v);
          if (t == null) {
            everywhere = false;
            break;
          }
          first = Math.min(first, t.changedAt());
          last = Math.max(last, t.answeredAt());
        }
        if (everywhere && last != Long.MIN_VALUE) {
          out.add(last - first);
        }
      }
      return out.stream().mapToLong(Long::longValue).sorted().toArray();
    }
  }

  /** One measured change: done when every watcher has seen a version at least {@code version}. */
  static final class Round {
    final long version;
    final CountDownLatch done;
    final AtomicLong lastArrival = new AtomicLong();

    Round(long version, int watchers) {
      this.version = version;
      this.done = new CountDownLatch(watchers);
    }
  }

  /** A watch stream that ACKs every response and reports when it holds a round's version. */
  static final class Watcher implements ClientResponseObserver<WatchRequest, WatchResponse> {
    final CountDownLatch subscribed = new CountDownLatch(1);
    private final AtomicReference<Round> round;
    private final Versions versions;
    private ClientCallStreamObserver<WatchRequest> out;
    private record Seen(long version, long atNanos) {}

    private volatile Seen seen = new Seen(0, 0);
    private Round counted; // guarded by this

    Watcher(AtomicReference<Round> round, Versions versions) {
      this.round = round;
      this.versions = versions;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      out = requestStream;
    }

    void subscribe(String nodeId) {
      synchronized (this) {
        out.onNext(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).addSubscribe(SERVICE)
            .setNode(Node.newBuilder().setId(nodeId).setKind("bench")).build());
      }
    }

    @Override
    public void onNext(WatchResponse r) {
      long now = System.nanoTime();
      for (Resource res : r.getResourcesList()) {
        if (res.getName().equals(SERVICE)) {
          seen = new Seen(versions.parse(res.getVersion()), now);
        }
      }
      synchronized (this) {
        out.onNext(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).setResponseNonce(r.getNonce())
            .build());
      }
      subscribed.countDown();
      count(round.get());
    }

    /** Counts a round whose version arrived before the round was published. */
    void check(Round r) {
      count(r);
    }

    private void count(Round r) {
      Seen s = seen;
      if (s.version() < r.version) {
        return;
      }
      synchronized (this) {
        if (counted == r) {
          return;
        }
        counted = r;
      }
      r.lastArrival.accumulateAndGet(s.atNanos(), Math::max);
      r.done.countDown();
    }

    void close() {
      synchronized (this) {
        out.onCompleted();
      }
    }

    @Override
    public void onError(Throwable t) {
      subscribed.countDown();
    }

    @Override
    public void onCompleted() {}
  }
}
