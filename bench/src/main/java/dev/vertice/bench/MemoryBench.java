package dev.vertice.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code MemoryBench} measures what a control plane process holds per registered instance and per
 * watch stream: the control plane started as {@code ./vertice control-plane} starts it, instances
 * registered over gRPC from this process, watch streams opened by a {@code bench watchers} process
 * over real connections (each stream watching one service and holding its initial state). Heap
 * (after full collections, {@code jcmd}) and RSS ({@code /proc}) are read before and after each
 * step; RSS includes what gRPC and Netty hold outside the heap. {@code --in-process} adds the
 * former in-process figures as a secondary row.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
    description = "Heap and RSS of a control-plane process per registered instance and per watch stream.")
final class MemoryBench implements Callable<Integer> {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final int REGISTER_IN_FLIGHT = 64;

  @Option(names = "--instances", defaultValue = "100000", description = "Instances to register. Default: ${DEFAULT-VALUE}.")
  int instances;

  @Option(names = "--services", defaultValue = "1000", description = "Services they spread over. Default: ${DEFAULT-VALUE}.")
  int services;

  @Option(names = "--streams", defaultValue = "10000",
      description = "Watch streams, each watching one service. Default: ${DEFAULT-VALUE}.")
  int streams;

  @Option(names = "--connections", defaultValue = "8",
      description = "Connections the streams share. Default: ${DEFAULT-VALUE}.")
  int connections;

  @Option(names = "--watcher-processes", defaultValue = "1",
      description = "Processes holding the streams. Default: ${DEFAULT-VALUE}.")
  int watcherProcesses;

  @Option(names = "--in-process", description = "Add the former in-process figures (registry and push engine in"
      + " this JVM, no gRPC) as a secondary row labelled in-process.")
  boolean inProcess;

  @Option(names = "--subscribers", defaultValue = "1000",
      description = "With --in-process: subscriptions' streams. Default: ${DEFAULT-VALUE}.")
  int subscribers;

  @Option(names = "--names-per-subscriber", defaultValue = "100",
      description = "With --in-process: services each stream subscribes to. Default: ${DEFAULT-VALUE}.")
  int namesPerSubscriber;

  @Option(names = "--json", description = "One JSON object per run on stdout (the table goes to stderr).")
  boolean json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (instances <= 0 || services <= 0 || streams <= 0 || connections <= 0 || watcherProcesses <= 0
        || subscribers <= 0 || namesPerSubscriber <= 0 || (inProcess && namesPerSubscriber > services)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--instances, --services, --streams, --connections, --watcher-processes and --subscribers must be positive,"
              + " --names-per-subscriber 1..--services");
    }
    Report report = new Report("memory", json);
    Path dir = Files.createTempDirectory("vertice-bench-memory");
    try {
      report.add(outOfProcess(dir));
    } finally {
      PushBench.deleteTree(dir);
    }
    report.printTable();
    if (inProcess) {
      Report secondary = new Report("memory", json);
      secondary.add(new InProcessMemory(instances, services, subscribers, namesPerSubscriber).run());
      secondary.printTable();
    }
    return 0;
  }

  private Map<String, Object> outOfProcess(Path dir) throws Exception {
    int perService = (instances + services - 1) / services;
    try (VerticeProcess cp = VerticeProcess.start(dir, "control-plane", List.of("control-plane", "--host",
        "127.0.0.1", "--port", "0", "--admin-port", "0", "--max-instances", Integer.toString(Math.max(instances, 1_000_000)),
        "--max-instances-per-service", Integer.toString(Math.max(perService, 10_000))))) {
      int port = Integer.parseInt(cp.await(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), START_TIMEOUT));
      long pid = cp.pid();
      long heap0 = ProcessMemory.heapAfterGc(pid);
      long rss0 = ProcessMemory.rss(pid);
      register(port);
      long heap1 = ProcessMemory.heapAfterGc(pid);
      long rss1 = ProcessMemory.rss(pid);
      long heap2;
      long rss2;
      try (WatcherFleet fleet = new WatcherFleet(dir, "watchers", List.of("--target", "127.0.0.1:" + port), streams,
          connections, Math.min(services, streams), watcherProcesses)) {
        fleet.awaitReady(Duration.ofSeconds(600));
        heap2 = ProcessMemory.heapAfterGc(pid);
        rss2 = ProcessMemory.rss(pid);
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("mode", "out-of-process");
      row.put("instances", instances);
      row.put("services", services);
      row.put("streams", streams);
      row.put("connections", Math.min(connections, streams));
      row.put("base_heap_mb", mib(heap0));
      row.put("base_rss_mb", mib(rss0));
      row.put("heap_bytes_per_instance", (double) (heap1 - heap0) / instances);
      row.put("rss_bytes_per_instance", (double) (rss1 - rss0) / instances);
      row.put("heap_bytes_per_stream", (double) (heap2 - heap1) / streams);
      row.put("rss_bytes_per_stream", (double) (rss2 - rss1) / streams);
      row.put("heap_mb", mib(heap2));
      row.put("rss_mb", mib(rss2));
      return row;
    }
  }

  private static double mib(long bytes) {
    return Math.round(bytes / 1048576.0 * 10) / 10.0;
  }

  /** Registers the instances, {@value #REGISTER_IN_FLIGHT} calls in flight, with a lease outlasting the run. */
  private void register(int port) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor().build();
    try {
      var stub = RegistryServiceGrpc.newFutureStub(channel);
      Semaphore inFlight = new Semaphore(REGISTER_IN_FLIGHT);
      AtomicReference<Throwable> failed = new AtomicReference<>();
      com.google.protobuf.Duration ttl = com.google.protobuf.Duration.newBuilder().setSeconds(3600).build();
      for (int i = 0; i < instances && failed.get() == null; i++) {
        inFlight.acquire();
        Futures.addCallback(stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                .register(RegisterRequest.newBuilder().setInstance(instance(i)).setTtl(ttl).build()),
            new FutureCallback<RegisterResponse>() {
              @Override
              public void onSuccess(RegisterResponse r) {
                inFlight.release();
              }

              @Override
              public void onFailure(Throwable t) {
                failed.compareAndSet(null, t);
                inFlight.release();
              }
            }, MoreExecutors.directExecutor());
      }
      if (!inFlight.tryAcquire(REGISTER_IN_FLIGHT, 60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("Register calls still in flight after 60 s");
      }
      if (failed.get() != null) {
        throw new IllegalStateException("a Register call failed: " + failed.get(), failed.get());
      }
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private Instance instance(int i) {
    return Instance.newBuilder()
        .setService(WatchersCommand.serviceName(i % services))
        .setInstanceId("i-" + Integer.toHexString(0x100000 + i))
        .setAddress("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255))
        .setPort(8080)
        .setProtocol(Protocol.PROTOCOL_HTTP)
        .setVersion("v1")
        .setZone("zone-" + (i % 3))
        .setWeight(100)
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING)
        .putMetadata("team", "platform")
        .build();
  }
}
