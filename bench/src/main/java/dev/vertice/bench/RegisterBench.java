package dev.vertice.bench;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.push.ConvergenceListener;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code RegisterBench} measures sustained Register calls per second (new instances, with
 * {@code --concurrency} calls in flight) and KeepAlive pings per second (pipelined on a few
 * streams), against a control plane in the same JVM over loopback, on the in-memory store or on
 * Redis ({@code --store}).
 */
@Command(name = "register", mixinStandardHelpOptions = true,
    description = "Sustained registrations/s and keepalives/s.")
final class RegisterBench implements Callable<Integer> {

  /** Leases kept for the keepalive phase. */
  private static final int MAX_LEASES_KEPT = 200_000;

  private final AtomicLong kept = new AtomicLong();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--store", defaultValue = "memory", description = BenchStore.DESCRIPTION)
  String store;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per phase. Default: ${DEFAULT-VALUE}.")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "3", description = "Unmeasured seconds first. Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(names = "--concurrency", defaultValue = "512", description = "Register calls in flight. Default: ${DEFAULT-VALUE}.")
  int concurrency;

  @Option(names = "--connections", defaultValue = "4", description = "Client connections. Default: ${DEFAULT-VALUE}.")
  int connections;

  @Option(names = "--keepalive-streams", defaultValue = "8", description = "KeepAlive streams. Default: ${DEFAULT-VALUE}.")
  int streams;

  @Option(names = "--pipeline", defaultValue = "256", description = "Pings in flight per stream. Default: ${DEFAULT-VALUE}.")
  int pipeline;

  @Option(names = "--services", defaultValue = "100", description = "Services the instances spread over. Default: ${DEFAULT-VALUE}.")
  int services;

  @Option(names = "--json", description = "One JSON object per run on stdout (the table goes to stderr).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (seconds <= 0 || concurrency <= 0 || connections <= 0 || streams <= 0 || pipeline <= 0 || services <= 0
        || warmupSeconds < 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "every count and duration must be positive");
    }
    BenchStore on = BenchStore.parse(spec, store);
    Report report = new Report("register", json);
    BenchServer started;
    try {
      started = new BenchServer(on, 1, r -> ConvergenceListener.NONE);
    } catch (IllegalStateException | IOException e) {
      spec.commandLine().getErr().println("cannot start the control plane: " + e.getMessage());
      return 1;
    }
    try (BenchServer bench = started) {
      List<Channel> channels = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        channels.add(bench.channel());
      }
      ConcurrentLinkedQueue<String> leases = new ConcurrentLinkedQueue<>();
      registerFor(channels, warmupSeconds, leases, new AtomicLong(), new AtomicLong());
      AtomicLong ids = new AtomicLong(1_000_000_000L);
      long[] reg = registerPhase(channels, ids, leases);
      double registrationsPerS = reg[0] / (reg[1] / 1e9);
      List<String> leaseList = new ArrayList<>(leases);
      keepAlivePhase(channels, leaseList, warmupSeconds);
      long[] ka = keepAlivePhase(channels, leaseList, seconds);
      double keepalivesPerS = ka[0] / (ka[1] / 1e9);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("store", on.kind());
      row.put("concurrency", concurrency);
      row.put("registrations_per_s", registrationsPerS);
      row.put("keepalives_per_s", keepalivesPerS);
      row.put("instances", bench.replica(0).controlPlane().registry().instanceCount());
      report.add(row);
    }
    report.printTable();
    return 0;
  }

  private long[] registerPhase(List<Channel> channels, AtomicLong ids, ConcurrentLinkedQueue<String> leases)
      throws InterruptedException {
    AtomicLong done = new AtomicLong();
    long start = System.nanoTime();
    registerFor(channels, seconds, leases, done, ids);
    return new long[] {done.get(), System.nanoTime() - start};
  }

  private void registerFor(List<Channel> channels, int secs, ConcurrentLinkedQueue<String> leases, AtomicLong done,
      AtomicLong ids) throws InterruptedException {
    Semaphore inFlight = new Semaphore(concurrency);
    AtomicLong failures = new AtomicLong();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs);
    List<RegistryServiceGrpc.RegistryServiceStub> stubs = channels.stream().map(RegistryServiceGrpc::newStub).toList();
    long n = 0;
    while (System.nanoTime() < deadline) {
      inFlight.acquire();
      long id = ids.incrementAndGet();
      RegisterRequest req = RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
          .setService("svc-" + (id % services)).setInstanceId("i-" + id).setAddress("10.0." + (id % 250) + ".1")
          .setPort(8080).setVersion("v1").setZone("zone-a")).build();
      stubs.get((int) (n++ % stubs.size())).register(req, new StreamObserver<>() {
        @Override
        public void onNext(RegisterResponse r) {
          if (kept.incrementAndGet() <= MAX_LEASES_KEPT) {
            leases.add(r.getLease().getLeaseId());
          }
        }

        @Override
        public void onError(Throwable t) {
          failures.incrementAndGet();
          inFlight.release();
        }

        @Override
        public void onCompleted() {
          done.incrementAndGet();
          inFlight.release();
        }
      });
    }
    inFlight.acquire(concurrency);
    if (failures.get() > 0) {
      throw new IllegalStateException(failures.get() + " registrations failed");
    }
  }

  /** Returns {pings answered, nanos}. */
  private long[] keepAlivePhase(List<Channel> channels, List<String> leases, int secs) throws InterruptedException {
    if (leases.isEmpty()) {
      throw new IllegalStateException("no leases to keep alive");
    }
    AtomicLong answered = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Pinger> pingers = new ArrayList<>();
    long start = System.nanoTime();
    // A stream may carry at most 1024 leases: each gets its own slice.
    int slice = Math.min(1000, leases.size() / streams);
    if (slice == 0) {
      throw new IllegalStateException("too few leases (" + leases.size() + ") for " + streams + " streams");
    }
    for (int i = 0; i < streams; i++) {
      Pinger p = new Pinger(leases.subList(i * slice, (i + 1) * slice), answered, running);
      RegistryServiceGrpc.newStub(channels.get(i % channels.size())).keepAlive(p);
      pingers.add(p);
      p.start(pipeline);
    }
    TimeUnit.SECONDS.sleep(secs); // the benchmark's measurement window, not a wait for a condition
    running.set(false);
    long elapsed = System.nanoTime() - start;
    long count = answered.get();
    for (Pinger p : pingers) {
      p.stop();
    }
    return new long[] {count, elapsed};
  }

  /** A KeepAlive stream that keeps {@code pipeline} pings in flight. */
  private static final class Pinger implements ClientResponseObserver<KeepAliveRequest, KeepAliveResponse> {
    private final List<String> leases;
    private final AtomicLong answered;
    private final AtomicBoolean running;
    private ClientCallStreamObserver<KeepAliveRequest> out;
    private int next;
    private boolean stopped;

    Pinger(List<String> leases, AtomicLong answered, AtomicBoolean running) {
      this.leases = leases;
      this.answered = answered;
      this.running = running;
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
      out.onNext(KeepAliveRequest.newBuilder().setLeaseId(leases.get(next++ % leases.size())).build());
    }

    @Override
    public synchronized void onNext(KeepAliveResponse value) {
      answered.incrementAndGet();
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
          System.err.println("keepalive stream failed: " + t);
        }
      }
    }

    @Override
    public void onCompleted() {}
  }
}
