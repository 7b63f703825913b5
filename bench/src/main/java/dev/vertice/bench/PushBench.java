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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code PushBench} measures push latency: from the start of a Register call that changes a service
 * to the moment the last of N watch streams has received the change, over real loopback
 * connections (one per watcher) to a control plane in the same JVM.
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

  @Option(names = "--json", description = "One JSON object per run on stdout (the table goes to stderr).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Report report = new Report("push", json);
    for (int n : watchers) {
      if (n <= 0 || rounds <= 0 || warmupSeconds < 0 || perConnection <= 0) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
            "--watchers and --rounds must be positive, --warmup-seconds not negative");
      }
      report.add(run(n));
    }
    report.printTable();
    return 0;
  }

  private Map<String, Object> run(int n) throws Exception {
    ConcurrentLinkedQueue<Long> convergence = new ConcurrentLinkedQueue<>();
    AtomicReference<Boolean> measuring = new AtomicReference<>(false);
    ConvergenceListener listener = new ConvergenceListener() {
      @Override
      public void onConverged(String typeUrl, String name, long version, long nanos, int subscribers) {
        if (measuring.get() && subscribers == n) {
          convergence.add(nanos);
        }
      }
    };
    try (BenchServer bench = new BenchServer(listener)) {
      Channel registryChannel = bench.channel();
      var registry = RegistryServiceGrpc.newBlockingStub(registryChannel);
      Instance.Builder instance = Instance.newBuilder().setService(SERVICE).setInstanceId("i-1")
          .setAddress("127.0.0.1").setPort(8080);
      registry.register(RegisterRequest.newBuilder().setInstance(instance.putMetadata("seq", "0")).build());

      Versions versions = bench.server.controlPlane().engine().versions();
      AtomicReference<Round> round = new AtomicReference<>(new Round(Long.MAX_VALUE, n));
      List<Watcher> ws = new ArrayList<>(n);
      Channel shared = null;
      for (int i = 0; i < n; i++) {
        Watcher w = new Watcher(round, versions);
        if (i % perConnection == 0) {
          shared = bench.channel();
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
        }
        // Each change is measured alone: the next starts once every watcher ACKed this one.
        bench.server.controlPlane().engine()
            .whenConverged(ResourceTypes.ENDPOINTS, SERVICE, current.version).get(30, TimeUnit.SECONDS);
      }
      measuring.set(false);
      for (Watcher w : ws) {
        w.close();
      }
      long[] sorted = latencies.clone();
      java.util.Arrays.sort(sorted);
      long[] conv = convergence.stream().mapToLong(Long::longValue).sorted().toArray();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("watchers", n);
      row.put("connections", (n + perConnection - 1) / perConnection);
      row.put("rounds", rounds);
      row.put("p50_ms", Report.millis(Report.quantile(sorted, 0.50)));
      row.put("p99_ms", Report.millis(Report.quantile(sorted, 0.99)));
      row.put("max_ms", Report.millis(sorted[sorted.length - 1]));
      row.put("convergence_p50_ms", Report.millis(Report.quantile(conv, 0.50)));
      row.put("convergence_p99_ms", Report.millis(Report.quantile(conv, 0.99)));
      return row;
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
