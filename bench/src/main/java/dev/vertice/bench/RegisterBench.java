package dev.vertice.bench;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.RegisterBatchRequest;
import dev.vertice.api.registry.v1.RegisterBatchResponse;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code RegisterBench} measures registration and keepalive throughput as users get it: the control
 * plane in its own process, started as {@code ./vertice control-plane} starts it, the writers in this
 * process over loopback connections. Three calls: unary Register ({@code --concurrency} in flight),
 * RegisterBatch ({@code --batch-size} instances per call, {@code --batch-concurrency} in flight) and
 * KeepAlive ({@code --pipeline} pings in flight on each of {@code --keepalive-streams} streams); on
 * the in-memory store and on Redis (a master and one replica started here on free ports, the control
 * plane waiting for the replica on every write, as with Sentinel). Every Register changes a pushed
 * field (the port) of one of {@code --instances} instances, so each call is a real write, not an
 * idempotent repeat, and the registry's size stays bounded.
 */
@Command(name = "register", mixinStandardHelpOptions = true,
    description = "Registrations/s (Register and RegisterBatch) and keepalives/s against a control plane in its"
        + " own process, in memory and on Redis (master + replica, writes wait for the replica).")
final class RegisterBench implements Callable<Integer> {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /** The first failed call's status, printed once so that errors are not only a count. */
  private static final java.util.concurrent.atomic.AtomicReference<String> FIRST_FAILURE =
      new java.util.concurrent.atomic.AtomicReference<>();
  /** Most latency samples kept per phase. */
  private static final int MAX_SAMPLES = 2_000_000;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--store", defaultValue = "both",
      description = "memory, redis (a master and a replica started by the bench) or both. Default: ${DEFAULT-VALUE}.")
  String store;

  @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per call. Default: ${DEFAULT-VALUE}.")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "10",
      description = "Unmeasured seconds before each call's measurement (a fresh control plane and client"
          + " need about 10 s on 2 cores before the JIT has compiled their write paths). Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(names = "--concurrency", defaultValue = "256",
      description = "Register calls in flight. Default: ${DEFAULT-VALUE}.")
  int concurrency;

  @Option(names = "--batch-size", defaultValue = "500",
      description = "Instances per RegisterBatch call (at most the control plane's --max-batch-size)."
          + " Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--batch-concurrency", defaultValue = "8",
      description = "RegisterBatch calls in flight. Default: ${DEFAULT-VALUE}.")
  int batchConcurrency;

  @Option(names = "--connections", defaultValue = "4", description = "Client connections. Default: ${DEFAULT-VALUE}.")
  int connections;

  @Option(names = "--keepalive-streams", defaultValue = "16",
      description = "KeepAlive streams, each carrying up to 1000 leases. Default: ${DEFAULT-VALUE}.")
  int streams;

  @Option(names = "--pipeline", defaultValue = "256",
      description = "Pings in flight per KeepAlive stream. Default: ${DEFAULT-VALUE}.")
  int pipeline;

  @Option(names = "--instances", defaultValue = "20000",
      description = "Distinct instances the writes cycle over. Default: ${DEFAULT-VALUE}.")
  int instances;

  @Option(names = "--services", defaultValue = "100",
      description = "Services the instances spread over. Default: ${DEFAULT-VALUE}.")
  int services;

  @Option(names = "--json", description = "One JSON object per run on stdout (the table goes to stderr).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (seconds <= 0 || warmupSeconds < 0 || concurrency <= 0 || batchSize <= 0 || batchConcurrency <= 0
        || connections <= 0 || streams <= 0 || pipeline <= 0 || instances <= 0 || services <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "every count and duration must be positive");
    }
    if (batchSize * (long) batchConcurrency > instances) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --batch-size: " + batchSize + " x "
          + batchConcurrency + " batches in flight exceed --instances " + instances
          + " (two writes in flight would name one instance)");
    }
    List<String> stores = switch (store.strip()) {
      case "memory" -> List.of("memory");
      case "redis" -> List.of("redis");
      case "both" -> List.of("memory", "redis");
      default -> throw new CommandLine.ParameterException(spec.commandLine(),
          "invalid --store: '" + store + "' (memory, redis or both)");
    };
    Report report = new Report("register", json);
    Path work = Files.createTempDirectory("vertice-bench-register");
    try {
      for (String kind : stores) {
        run(kind, work.resolve(kind), report);
      }
    } catch (IOException | IllegalStateException e) {
      spec.commandLine().getErr().println("bench register failed: " + e.getMessage());
      return 1;
    } finally {
      deleteTree(work);
    }
    report.printTable();
    return 0;
  }

  private void run(String kind, Path dir, Report report) throws Exception {
    Files.createDirectories(dir);
    RedisPair redis = kind.equals("redis") ? new RedisPair(dir.resolve("redis")) : null;
    try {
      List<String> args = new ArrayList<>(List.of("control-plane", "--host", "127.0.0.1", "--port", "0",
          "--admin-port", "0"));
      if (redis != null) {
        // A plain master with a replica: wait for the replica on every write, as redis-sentinel:// does.
        args.addAll(List.of("--store", redis.url(), "--store-min-replicas", "1"));
      }
      try (VerticeProcess cp = VerticeProcess.start(dir, "control-plane", args)) {
        int port = Integer.parseInt(cp.await(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), START_TIMEOUT));
        List<ManagedChannel> channels = new ArrayList<>();
        try {
          for (int i = 0; i < connections; i++) {
            // The callbacks never block, so they run on the transport threads.
            channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor()
                .maxInboundMessageSize(16 << 20).build());
          }
          Writers w = new Writers(channels);
          double load = loadAverage();
          report.add(row(kind, "register", concurrency, 1, w.phase(this::unary, concurrency, 1), load));
          report.add(row(kind, "register-batch", batchConcurrency, batchSize, w.phase(this::batched, batchConcurrency, batchSize), load));
          report.add(row(kind, "keepalive", streams * pipeline, 1, w.keepAlive(), load));
        } finally {
          for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
          }
        }
      }
    } finally {
      if (redis != null) {
        redis.close();
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }

  private Map<String, Object> row(String kind, String call, int inFlight, int perCall, Phase p, double load) {
    long[] sorted = p.latencies();
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("store", kind);
    row.put("call", call);
    row.put("in_flight", inFlight);
    row.put("per_call", perCall);
    row.put("per_s", p.items() / (p.nanos() / 1e9));
    row.put("calls", p.calls());
    row.put("p50_ms", Report.millis(Report.quantile(sorted, 0.50)));
    row.put("p99_ms", Report.millis(Report.quantile(sorted, 0.99)));
    row.put("errors", p.errors());
    row.put("load_1m", load);
    return row;
  }

  /** The 1-minute load average, printed beside the figures: the machine may be shared. */
  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** What one call type achieved in its measured window. */
  record Phase(long items, long calls, long errors, long nanos, long[] latencies) {}

  /** Starts one call (of {@code items} instances) and reports its outcome to {@code done}. */
  @FunctionalInterface
  private interface Call {
    void start(Writers w, long seq, Consumer<Boolean> done);
  }

  private void unary(Writers w, long seq, Consumer<Boolean> done) {
    w.stub(seq).register(w.request(seq), new Answer<>(done, r -> w.lease(seq, r)));
  }

  private void batched(Writers w, long seq, Consumer<Boolean> done) {
    RegisterBatchRequest.Builder b = RegisterBatchRequest.newBuilder();
    long first = seq * batchSize;
    for (int i = 0; i < batchSize; i++) {
      b.addEntries(w.request(first + i));
    }
    w.stub(seq).registerBatch(b.build(), new Answer<RegisterBatchResponse>(done, r -> {
      for (int i = 0; i < r.getResultsCount(); i++) {
        w.lease(first + i, r.getResults(i));
      }
    }));
  }

  /** Completes a call: records its response, then reports success or failure. */
  private record Answer<T>(Consumer<Boolean> done, Consumer<T> onResponse) implements StreamObserver<T> {
    @Override
    public void onNext(T value) {
      onResponse.accept(value);
    }

    @Override
    public void onError(Throwable t) {
      if (FIRST_FAILURE.compareAndSet(null, t.toString())) {
        System.err.println("first failed call: " + t);
      }
      done.accept(false);
    }

    @Override
    public void onCompleted() {
      done.accept(true);
    }
  }

  /** The connections and the leases of one run. */
  private final class Writers {
    private final List<RegistryServiceGrpc.RegistryServiceStub> stubs;
    private final AtomicReferenceArray<String> leases = new AtomicReferenceArray<>(instances);
    private final AtomicLong sequence = new AtomicLong();

    Writers(List<ManagedChannel> channels) {
      this.stubs = channels.stream().map(RegistryServiceGrpc::newStub).toList();
    }

    RegistryServiceGrpc.RegistryServiceStub stub(long seq) {
      return stubs.get((int) Math.floorMod(seq, (long) stubs.size())).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    /** Write number {@code n}: instance {@code n % instances}, with a port that differs from its last write. */
    RegisterRequest request(long n) {
      int i = (int) Math.floorMod(n, (long) instances);
      long round = n / instances;
      return RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
          .setService("svc-" + (i % services)).setInstanceId("i-" + i).setAddress("10.0." + (i % 250) + ".1")
          .setPort((int) (1024 + round % 60_000)).setVersion("v1").setZone("zone-a"))
          // Long enough that no lease expires between the register phases and the keepalive phase.
          .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(900)).build();
    }

    void lease(long n, RegisterResponse r) {
      leases.set((int) Math.floorMod(n, (long) instances), r.getLease().getLeaseId());
    }

    /** Runs {@code call} for the warm-up, then measures it. */
    Phase phase(Call call, int inFlight, int perCall) throws InterruptedException {
      drive(call, inFlight, perCall, warmupSeconds, null);
      return drive(call, inFlight, perCall, seconds, new Samples());
    }

    private Phase drive(Call call, int inFlight, int perCall, int secs, Samples samples) throws InterruptedException {
      Semaphore slots = new Semaphore(inFlight);
      AtomicLong ok = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      long start = System.nanoTime();
      long deadline = start + TimeUnit.SECONDS.toNanos(secs);
      while (System.nanoTime() < deadline) {
        if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
        long seq = sequence.getAndIncrement();
        long sent = System.nanoTime();
        call.start(this, seq, success -> {
          if (samples != null) {
            samples.add(System.nanoTime() - sent);
          }
          (success ? ok : failed).incrementAndGet();
          slots.release();
        });
      }
      slots.acquire(inFlight);
      long nanos = System.nanoTime() - start;
      return new Phase(ok.get() * perCall, ok.get() + failed.get(), failed.get(), nanos,
          samples == null ? new long[0] : samples.sorted());
    }

    /** Pings the leases written so far, {@code pipeline} in flight per stream; warm-up first. */
    Phase keepAlive() throws InterruptedException {
      List<String> held = new ArrayList<>();
      for (int i = 0; i < leases.length(); i++) {
        if (leases.get(i) != null) {
          held.add(leases.get(i));
        }
      }
      int slice = Math.min(1000, held.size() / streams);
      if (slice == 0) {
        throw new IllegalStateException("too few leases (" + held.size() + ") for " + streams + " streams");
      }
      pings(held, slice, warmupSeconds, new Samples());
      return pings(held, slice, seconds, new Samples());
    }

    private Phase pings(List<String> held, int slice, int secs, Samples samples) throws InterruptedException {
      AtomicLong answered = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      AtomicBoolean running = new AtomicBoolean(true);
      List<Pinger> pingers = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < streams; i++) {
        Pinger p = new Pinger(held.subList(i * slice, (i + 1) * slice), answered, failed, running, samples);
        stubs.get(i % stubs.size()).keepAlive(p);
        pingers.add(p);
        p.start(pipeline);
      }
      TimeUnit.SECONDS.sleep(secs); // the measurement window, not a wait for a condition
      running.set(false);
      long nanos = System.nanoTime() - start;
      long count = answered.get();
      pingers.forEach(Pinger::stop);
      return new Phase(count, count, failed.get(), nanos, samples.sorted());
    }
  }

  /** Latency samples of one phase, up to {@link #MAX_SAMPLES}. */
  private static final class Samples {
    private final long[] values = new long[MAX_SAMPLES];
    private final AtomicInteger size = new AtomicInteger();

    void add(long nanos) {
      int i = size.getAndIncrement();
      if (i < values.length) {
        values[i] = nanos;
      }
    }

    long[] sorted() {
      long[] out = Arrays.copyOf(values, Math.min(size.get(), values.length));
      Arrays.sort(out);
      return out;
    }
  }

  /** A KeepAlive stream that keeps {@code pipeline} pings in flight and times each from send to answer. */
  private static final class Pinger implements ClientResponseObserver<KeepAliveRequest, KeepAliveResponse> {
    private final List<String> leases;
    private final AtomicLong answered;
    private final AtomicLong failed;
    private final AtomicBoolean running;
    private final Samples samples;
    /** Send times of the pings in flight: answers come in ping order. */
    private final ArrayDeque<Long> sent = new ArrayDeque<>();
    private ClientCallStreamObserver<KeepAliveRequest> out;
    private int next;
    private boolean stopped;

    Pinger(List<String> leases, AtomicLong answered, AtomicLong failed, AtomicBoolean running, Samples samples) {
      this.leases = leases;
      this.answered = answered;
      this.failed = failed;
      this.running = running;
      this.samples = samples;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<KeepAliveRequest> requestStream) {
      out = requestStream;
    }

    synchronized void start(int inFlight) {
      for (int i = 0; i < inFlight; i++) {
        send();
      }
    }

    private void send() {
      sent.add(System.nanoTime());
      out.onNext(KeepAliveRequest.newBuilder().setLeaseId(leases.get(next++ % leases.size())).build());
    }

    @Override
    public synchronized void onNext(KeepAliveResponse value) {
      Long at = sent.poll();
      if (at != null) {
        samples.add(System.nanoTime() - at);
      }
      if (value.getExpired()) {
        failed.incrementAndGet();
      } else {
        answered.incrementAndGet();
      }
      if (running.get() && !stopped) {
        send();
      }
    }

    synchronized void stop() {
      if (!stopped) {
        stopped = true;
        out.onCompleted();
      }
    }

    @Override
    public void onError(Throwable t) {
      synchronized (this) {
        if (!stopped) {
          stopped = true;
          failed.incrementAndGet();
          System.err.println("keepalive stream failed: " + t);
        }
      }
    }

    @Override
    public void onCompleted() {}
  }
}
