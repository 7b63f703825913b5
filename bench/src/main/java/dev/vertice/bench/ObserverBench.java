package dev.vertice.bench;

import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.Node;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.metrics.ControlPlaneMetrics;
import dev.vertice.observability.GrpcServerMetrics;
import dev.vertice.observability.Metrics;
import dev.vertice.observability.Tracing;
import io.grpc.Channel;
import io.grpc.ServerInterceptor;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ObjIntConsumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ObserverBench} measures what observing the control plane costs on its register/push path:
 * Register calls at a fixed concurrency over a fixed set of instances (each call changes the
 * instance's weight), each change pushed to Watch streams that ACK it, against
 * a control plane in this JVM (in-memory store, loopback), in three set-ups built as {@code
 * ./vertice control-plane} builds them:
 *
 * <ul>
 *   <li>{@code bare}: no listeners, no interceptors;
 *   <li>{@code metrics}: the registry and convergence listeners ({@link ControlPlaneMetrics}), the
 *       gRPC server metrics interceptor and the tracing interceptor with tracing off (the default
 *       process);
 *   <li>{@code metrics+tracing}: the same with tracing on: every call a server span, sampled, batched
 *       and handed to an exporter that discards them (the cost up to the network).
 * </ul>
 *
 * <p>An unreported run of the last set-up warms the JIT up first; then the set-ups alternate round by
 * round so that drift of the shared machine spreads over all, and the summary gives medians.
 */
@Command(name = "observers", mixinStandardHelpOptions = true,
    description = "Cost of metrics listeners and tracing on the register/push path (bare vs metrics vs"
        + " metrics+tracing).")
final class ObserverBench implements Callable<Integer> {

  private static final List<String> MODES = List.of("bare", "metrics", "metrics+tracing");
  /** Latency samples kept per run; calls beyond are counted but not sampled. */
  private static final int MAX_SAMPLES = 1 << 21;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--seconds", defaultValue = "3", description = "Measured seconds per run. Default: ${DEFAULT-VALUE}.")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "1",
      description = "Unmeasured seconds before each run. Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(names = "--jit-warmup-seconds", defaultValue = "60",
      description = "Length of the unreported first run. Default: ${DEFAULT-VALUE}.")
  int jitWarmupSeconds;

  @Option(names = "--rounds", defaultValue = "9",
      description = "Runs of each set-up, alternating. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--concurrency", defaultValue = "32", description = "Register calls in flight. Default: ${DEFAULT-VALUE}.")
  int concurrency;

  @Option(names = "--services", defaultValue = "100", description = "Services the instances spread over. Default: ${DEFAULT-VALUE}.")
  int services;

  @Option(names = "--instances", defaultValue = "1000",
      description = "Instances registered over and over, each time with the other of two weights: every call is"
          + " a change to push, and the registry keeps its size. Default: ${DEFAULT-VALUE}.")
  int instances;

  @Option(names = "--watchers", defaultValue = "10",
      description = "Watch streams, each subscribed to every service. Default: ${DEFAULT-VALUE}.")
  int watchers;

  @Option(names = "--json", description = "One JSON object per run on stdout (the table goes to stderr).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (seconds <= 0 || rounds <= 0 || concurrency <= 0 || services <= 0 || instances < services || watchers < 0
        || warmupSeconds < 0 || jitWarmupSeconds <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "every count and duration must be positive");
    }
    Report report = new Report("observers", json);
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    Map<String, List<Double>> cpus = new LinkedHashMap<>();
    // One unreported run through every code path first: the JIT compiles them all before measuring.
    run("metrics+tracing", 0, jitWarmupSeconds);
    for (int round = 1; round <= rounds; round++) {
      for (String mode : MODES) {
        Map<String, Object> row = run(mode, round, seconds);
        rates.computeIfAbsent(mode, m -> new ArrayList<>()).add((Double) row.get("registrations_per_s"));
        cpus.computeIfAbsent(mode, m -> new ArrayList<>()).add((Double) row.get("cpu_us_per_registration"));
        report.add(row);
      }
    }
    report.printTable();
    double bare = median(rates.get("bare"));
    StringBuilder summary = new StringBuilder("median registrations/s:");
    for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
      double m = median(e.getValue());
      summary.append(String.format(java.util.Locale.ROOT, " %s %.0f (%+.1f%%);", e.getKey(), m,
          (m / bare - 1) * 100));
    }
    double bareCpu = median(cpus.get("bare"));
    summary.append("\nmedian CPU us/registration:");
    for (Map.Entry<String, List<Double>> e : cpus.entrySet()) {
      double m = median(e.getValue());
      summary.append(String.format(java.util.Locale.ROOT, " %s %.1f (%+.1f%%);", e.getKey(), m,
          (m / bareCpu - 1) * 100));
    }
    (json ? System.err : System.out).println(summary);
    return 0;
  }

  private Map<String, Object> run(String mode, int round, int measuredSeconds) throws Exception {
    Metrics metrics = mode.equals("bare") ? null : Metrics.bare();
    ControlPlaneMetrics listeners = metrics == null ? null : new ControlPlaneMetrics(metrics.registry());
    DiscardingExporter exporter = new DiscardingExporter();
    SdkTracerProvider provider = null;
    Tracing tracing = Tracing.off();
    if (mode.equals("metrics+tracing")) {
      provider = SdkTracerProvider.builder().addSpanProcessor(BatchSpanProcessor.builder(exporter).build()).build();
      tracing = Tracing.of(OpenTelemetrySdk.builder().setTracerProvider(provider)
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build());
    }
    ObjIntConsumer<ControlPlane.Builder> setup = listeners == null ? (cp, i) -> { }
        : (cp, i) -> cp.registryEvents(listeners).convergenceListener(listeners);
    List<ServerInterceptor> interceptors = metrics == null ? List.of()
        : List.of(tracing.serverInterceptor(), new GrpcServerMetrics(metrics.registry()));
    Map<String, Object> row = new LinkedHashMap<>();
    try (BenchServer bench = new BenchServer(BenchStore.MEMORY, 1, setup, interceptors)) {
      if (listeners != null) {
        listeners.bind(bench.replica(0).controlPlane());
      }
      List<Channel> channels = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        channels.add(bench.channel());
      }
      AtomicLong pushed = new AtomicLong();
      List<Watcher> ws = new ArrayList<>();
      for (int i = 0; i < watchers; i++) {
        Watcher w = new Watcher(pushed);
        DiscoveryServiceGrpc.newStub(channels.get(i % channels.size())).watch(w);
        w.subscribe("observer-bench-" + i, services);
        ws.add(w);
      }
      AtomicLong ids = new AtomicLong();
      register(channels, ids, warmupSeconds, null);
      long[] samples = new long[MAX_SAMPLES];
      AtomicInteger sampled = new AtomicInteger();
      long pushedBefore = pushed.get();
      long spansBefore = exporter.spans.get();
      long cpuBefore = processCpuNanos();
      long start = System.nanoTime();
      long calls = register(channels, ids, measuredSeconds, new Sampler(samples, sampled));
      long elapsed = System.nanoTime() - start;
      long cpu = processCpuNanos() - cpuBefore;
      long pushedInRun = pushed.get() - pushedBefore;
      ws.forEach(Watcher::close);
      int n = Math.min(sampled.get(), MAX_SAMPLES);
      long[] sorted = Arrays.copyOf(samples, n);
      Arrays.sort(sorted);
      row.put("mode", mode);
      row.put("round", round);
      row.put("registrations_per_s", calls / (elapsed / 1e9));
      row.put("register_p50_ms", Report.millis(Report.quantile(sorted, 0.50)));
      row.put("register_p99_ms", Report.millis(Report.quantile(sorted, 0.99)));
      row.put("pushed_resources_per_s", pushedInRun / (elapsed / 1e9));
      // CPU time of this whole JVM (control plane, bench clients, watchers) per call: unlike the rate,
      // barely moved by other processes competing for the cores.
      row.put("cpu_us_per_registration", cpu / 1e3 / Math.max(1, calls));
      if (provider != null) {
        provider.forceFlush().join(10, TimeUnit.SECONDS);
      }
      row.put("spans_exported", exporter.spans.get() - spansBefore);
    } finally {
      if (provider != null) {
        provider.shutdown().join(10, TimeUnit.SECONDS);
      }
      if (metrics != null) {
        metrics.close();
      }
    }
    return row;
  }

  /** Records the latency of each measured call. */
  private record Sampler(long[] samples, AtomicInteger next) {
    void record(long nanos) {
      int i = next.getAndIncrement();
      if (i < samples.length) {
        samples[i] = nanos;
      }
    }
  }

  /** Registers new instances for {@code secs} seconds; returns the calls completed. */
  private long register(List<Channel> channels, AtomicLong ids, int secs, Sampler sampler) throws InterruptedException {
    Semaphore inFlight = new Semaphore(concurrency);
    AtomicLong done = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs);
    List<RegistryServiceGrpc.RegistryServiceStub> stubs = channels.stream().map(RegistryServiceGrpc::newStub).toList();
    long n = 0;
    while (System.nanoTime() < deadline) {
      inFlight.acquire();
      long call = ids.incrementAndGet();
      long id = call % instances;
      long startNanos = System.nanoTime();
      RegisterRequest req = RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
          .setService("svc-" + (id % services)).setInstanceId("i-" + id).setAddress("10.0." + (id % 250) + ".1")
          .setPort(8080).setVersion("v1").setWeight(100 + (int) ((call / instances) % 2))).build();
      stubs.get((int) (n++ % stubs.size())).register(req, new StreamObserver<RegisterResponse>() {
        @Override
        public void onNext(RegisterResponse r) {}

        @Override
        public void onError(Throwable t) {
          failures.incrementAndGet();
          inFlight.release();
        }

        @Override
        public void onCompleted() {
          if (sampler != null) {
            sampler.record(System.nanoTime() - startNanos);
          }
          done.incrementAndGet();
          inFlight.release();
        }
      });
    }
    inFlight.acquire(concurrency);
    if (failures.get() > 0) {
      throw new IllegalStateException(failures.get() + " registrations failed");
    }
    return done.get();
  }

  /** A Watch stream subscribed to every service, ACKing each response and counting resources. */
  private static final class Watcher implements ClientResponseObserver<WatchRequest, WatchResponse> {
    private final AtomicLong pushed;
    private final CountDownLatch first = new CountDownLatch(1);
    private ClientCallStreamObserver<WatchRequest> out;

    Watcher(AtomicLong pushed) {
      this.pushed = pushed;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      out = requestStream;
    }

    void subscribe(String nodeId, int services) throws InterruptedException {
      WatchRequest.Builder r = WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS)
          .setNode(Node.newBuilder().setId(nodeId).setKind("bench"));
      for (int i = 0; i < services; i++) {
        r.addSubscribe("svc-" + i);
      }
      synchronized (this) {
        out.onNext(r.build());
      }
      if (!first.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no first response on watch " + nodeId);
      }
    }

    @Override
    public void onNext(WatchResponse r) {
      pushed.addAndGet(r.getResourcesCount());
      synchronized (this) {
        out.onNext(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).setResponseNonce(r.getNonce())
            .build());
      }
      first.countDown();
    }

    synchronized void close() {
      out.onCompleted();
    }

    @Override
    public void onError(Throwable t) {
      first.countDown();
    }

    @Override
    public void onCompleted() {}
  }

  /** Counts the spans handed to it and drops them. */
  private static final class DiscardingExporter implements SpanExporter {
    final AtomicLong spans = new AtomicLong();

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
      spans.addAndGet(batch.size());
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  private static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return -1;
  }

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
