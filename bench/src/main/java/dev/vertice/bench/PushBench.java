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
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code PushBench} measures push latency: from the start of a Register call that changes a service
 * to the moment the last of N watch streams has received the change, over real loopback
 * connections (one per watcher) to a control plane in the same JVM: one on the in-memory store, or
 * several replicas sharing Redis ({@code --store}, {@code --replicas}) with the watchers spread
 * over them and every change written through the first.
 */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = "Push latency from a Register call to the last of N watchers receiving the change.")
final class PushBench implements Callable<Integer> {

  private static final String SERVICE = "bench-svc";

  @Option(names = "--watchers", split = ",", defaultValue = "1,100,1000",
      description = "Watch streams per run; a comma-separated list runs each. Default: ${DEFAULT-VALUE}.")
  List<Integer> watchers;

  @Option(names = "--rounds", defaultValue = "300", description = "Measured changes per run. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--warmup-seconds", defaultValue = "20",
      description = "Unmeasured changes first, for this long: the JIT compiles gRPC, Netty and protobuf for well"
          + " over 10 s in a cold JVM. Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(names = "--watchers-per-connection", defaultValue = "1",
      description = "Watch streams sharing one client connection; 1 is one connection per watcher, as separate"
          + " gateways and sidecars have. Default: ${DEFAULT-VALUE}.")
  int perConnection;

  @Option(names = "--store", defaultValue = "memory", description = BenchStore.DESCRIPTION)
  String store;

  @Option(names = "--replicas", defaultValue = "1",
      description = "Control-plane replicas sharing the store (more than 1 needs a Redis --store). Watchers are"
          + " spread over them round-robin, one connection at a time; Register calls go to the first."
          + " Default: ${DEFAULT-VALUE}.")
  int replicas;

  @Option(names = "--json", description = "One JSON object per run on stdout (the table goes to stderr).")
  boolean json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    for (int n : watchers) {
      if (n <= 0 || rounds <= 0 || warmupSeconds < 0 || perConnection <= 0) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--watchers and --rounds must be positive, --warmup-seconds not negative");
      }
    }
    BenchStore on = BenchStore.parse(spec, store);
    if (replicas < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --replicas: " + replicas
          + " must be at least 1");
    }
    if (replicas > 1 && !on.shared()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --replicas: " + replicas
          + " replicas must share a store: add --store redis://host:port/db (the in-memory store is one process's)");
    }
    Report report = new Report("push", json);
    for (int n : watchers) {
      Map<String, Object> row;
      try {
        row = run(on, n);
      } catch (ControlPlaneUnavailable e) {
        spec.commandLine().getErr().println("cannot start the control plane: " + e.getMessage());
        return 1;
      }
      report.add(row);
    }
    report.printTable();
    return 0;
  }

  private Map<String, Object> run(BenchStore on, int n) throws Exception {
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
      throw new ControlPlaneUnavailable(e.getMessage());
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

  /** The control plane could not start (its store is unreachable, or no port was free). */
  private static final class ControlPlaneUnavailable extends Exception {
    private static final long serialVersionUID = 1L;

    ControlPlaneUnavailable(String message) {
      super(message);
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
