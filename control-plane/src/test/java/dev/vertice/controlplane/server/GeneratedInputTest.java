package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import dev.vertice.api.canary.v1.CanaryServiceGrpc;
import dev.vertice.api.canary.v1.CreateRolloutRequest;
import dev.vertice.api.canary.v1.RolloutSpec;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Seeded random and mutated requests against every method of every service the control plane
 * binds (RegistryService, DiscoveryService, StatsService, CanaryService, xDS ADS), sent as raw bytes:
 * no exception escapes (never UNKNOWN or INTERNAL, never a class name or stack frame in a
 * description), a failed call changes no registry, policy or rollout state, and the server still
 * serves afterwards. The seed is printed with every failure; rerun one with
 * {@code -Dvertice.fuzz.seed=<seed>}.
 */
class GeneratedInputTest {

  private static final int CASES_PER_METHOD = Integer.getInteger("vertice.fuzz.cases", 150);
  private static final long SEED = Long.getLong("vertice.fuzz.seed", 0x5EEDL);
  /** A Java class name, stack frame or exception in a status description means an exception escaped. */
  private static final Pattern LEAK = Pattern.compile(
      "Exception|Throwable|\\bat [a-z]+\\.[a-z]|\\.java:\\d+|\\bjava\\.[a-z]|\\bio\\.grpc\\.|\\bdev\\.vertice\\."
          + "|com\\.google\\.protobuf\\.");
  /** Methods whose INVALID_ARGUMENT carries google.rpc.BadRequest field violations (the API says so). */
  private static final Set<String> FIELD_VIOLATIONS = Set.of(
      "vertice.registry.v1.RegistryService/Register", "vertice.registry.v1.RegistryService/Deregister",
      "vertice.registry.v1.RegistryService/SetHealth", "vertice.canary.v1.CanaryService/CreateRollout",
      "externalscaler.ExternalScaler/IsActive", "externalscaler.ExternalScaler/StreamIsActive",
      "externalscaler.ExternalScaler/GetMetricSpec", "externalscaler.ExternalScaler/GetMetrics");

  private InProcessControlPlane cp;
  private final List<LogRecord> thrown = new CopyOnWriteArrayList<>();
  private final Handler logCapture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      if (r.getThrown() != null || r.getLevel().intValue() >= Level.SEVERE.intValue()) {
        thrown.add(r);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void setUp() throws IOException {
    cp = new InProcessControlPlane();
    Logger.getLogger("").addHandler(logCapture);
    // Some state for random requests to hit (and, when valid, change).
    var registry = RegistryServiceGrpc.newBlockingStub(cp.channel).withInterceptors(TestDeadlines.grpc());
    for (String id : List.of("orders-1", "1", "0")) {
      registry.register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
          .setInstanceId(id).setAddress("10.0.0.1").setPort(80).setVersion("v1")).build());
    }
    registry.register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
        .setInstanceId("orders-2").setAddress("10.0.0.2").setPort(80).setVersion("v2")).build());
    CanaryServiceGrpc.newBlockingStub(cp.channel)
        .withInterceptors(TestDeadlines.grpc()).createRollout(CreateRolloutRequest.newBuilder()
        .setSpec(RolloutSpec.newBuilder().setService("orders").setStableVersion("v1").setCandidateVersion("v2")
            .setStageDuration(Duration.newBuilder().setSeconds(30))
            .setAnalysisInterval(Duration.newBuilder().setSeconds(10))
            .setProgressDeadline(Duration.newBuilder().setSeconds(120)))
        .build());
  }

  @AfterEach
  void tearDown() {
    Logger.getLogger("").removeHandler(logCapture);
    cp.close();
  }

  /** Valid requests per method, the starting points of tweaks and mutations. */
  private final java.util.Map<String, List<Message>> seeds = java.util.Map.ofEntries(
      java.util.Map.entry("vertice.registry.v1.RegistryService/Register", List.of(RegisterRequest.newBuilder()
          .setInstance(Instance.newBuilder().setService("payments").setInstanceId("p-1").setAddress("10.0.0.7")
              .setPort(8080).setVersion("v1").setZone("zone-a").setWeight(10).putMetadata("team", "pay"))
          .setTtl(Duration.newBuilder().setSeconds(30)).build())),
      java.util.Map.entry("vertice.registry.v1.RegistryService/Deregister", List.of(
          dev.vertice.api.registry.v1.DeregisterRequest.newBuilder().setService("orders").setInstanceId("0").build())),
      java.util.Map.entry("vertice.registry.v1.RegistryService/SetHealth", List.of(
          dev.vertice.api.registry.v1.SetHealthRequest.newBuilder().setService("orders").setInstanceId("orders-1")
              .setHealth(dev.vertice.api.registry.v1.HealthStatus.HEALTH_STATUS_NOT_SERVING).build())),
      java.util.Map.entry("vertice.registry.v1.RegistryService/GetService", List.of(
          dev.vertice.api.registry.v1.GetServiceRequest.newBuilder().setService("orders").build())),
      java.util.Map.entry("vertice.discovery.v1.DiscoveryService/Watch", List.of(
          dev.vertice.api.discovery.v1.WatchRequest.newBuilder()
              .setTypeUrl(dev.vertice.common.ResourceTypes.ENDPOINTS).addSubscribe("orders").build(),
          dev.vertice.api.discovery.v1.WatchRequest.newBuilder()
              .setTypeUrl(dev.vertice.common.ResourceTypes.TRAFFIC_POLICY).addSubscribe("*").build())),
      java.util.Map.entry("vertice.stats.v1.StatsService/ReportStats", List.of(
          dev.vertice.api.stats.v1.ReportStatsRequest.newBuilder().setReporter("gw-1")
              .setIntervalStart(com.google.protobuf.Timestamp.newBuilder().setSeconds(100))
              .setIntervalEnd(com.google.protobuf.Timestamp.newBuilder().setSeconds(101))
              .addStats(dev.vertice.api.stats.v1.VersionStats.newBuilder().setService("orders").setVersion("v2")
                  .setRequests(10).setErrors(1).addAllLatencyBoundsSeconds(List.of(0.1, 0.5))
                  .addAllLatencyCounts(List.of(5L, 4L, 1L)))
              .build())),
      java.util.Map.entry("vertice.canary.v1.CanaryService/CreateRollout", List.of(CreateRolloutRequest.newBuilder()
          .setSpec(RolloutSpec.newBuilder().setService("payments").setStableVersion("v1").setCandidateVersion("v2")
              .setStageDuration(Duration.newBuilder().setSeconds(30))
              .setAnalysisInterval(Duration.newBuilder().setSeconds(10))
              .setProgressDeadline(Duration.newBuilder().setSeconds(120)))
          .build())),
      java.util.Map.entry("envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources", List.of(
          io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest.newBuilder()
              .setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster")
              .setNode(io.envoyproxy.envoy.config.core.v3.Node.newBuilder().setId("fuzz-1")).build(),
          io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest.newBuilder()
              .setTypeUrl("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment")
              .addResourceNames("orders")
              .setNode(io.envoyproxy.envoy.config.core.v3.Node.newBuilder().setId("fuzz-2")).build())));

  /** What a failed call must leave as it was. */
  private record State(long revision, Object services, Object policies, Object rollouts) {}

  private State state() throws Exception {
    return new State(cp.controlPlane.registry().revision(), cp.controlPlane.registry().services(),
        cp.controlPlane.registry().trafficPolicies(), cp.controlPlane.rollouts().list());
  }

  @Test
  void randomAndMutatedRequestsNeverEscapeAnExceptionNorChangeStateWhenRejected() throws Exception {
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (BindableService s : cp.controlPlane.services()) {
      methods.addAll(s.bindService().getMethods());
    }
    methods.sort(java.util.Comparator.comparing(m -> m.getMethodDescriptor().getFullMethodName()));
    assertEquals(Set.of("vertice.registry.v1.RegistryService", "vertice.discovery.v1.DiscoveryService",
        "vertice.stats.v1.StatsService", "vertice.canary.v1.CanaryService",
        "envoy.service.discovery.v3.AggregatedDiscoveryService", "externalscaler.ExternalScaler"),
        methods.stream().map(m -> m.getMethodDescriptor().getServiceName()).collect(java.util.stream.Collectors.toSet()));
    long start = System.nanoTime();
    int cases = 0;
    List<String> failures = new ArrayList<>();
    java.util.Map<String, java.util.Map<Status.Code, Integer>> outcomes = new java.util.TreeMap<>();
    for (int mi = 0; mi < methods.size(); mi++) {
      MethodDescriptor<?, ?> method = methods.get(mi).getMethodDescriptor();
      // The services take raw bytes (MalformedRequests); the schema still names each request type.
      Message prototype = com.google.protobuf.DynamicMessage.getDefaultInstance(
          ((io.grpc.protobuf.ProtoMethodDescriptorSupplier) method.getSchemaDescriptor()).getMethodDescriptor()
              .getInputType());
      MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(method.getType()).setFullMethodName(method.getFullMethodName())
          .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
      for (int c = 0; c < CASES_PER_METHOD; c++) {
        long seed = SEED * 1_000_003L + mi * 10_007L + c;
        MessageFuzzer fuzzer = new MessageFuzzer(seed, 3);
        int messages = method.getType().clientSendsOneMessage() ? 1 : 1 + (int) (Math.abs(seed) % 3);
        List<byte[]> requests = new ArrayList<>();
        List<Message> valid = seeds.getOrDefault(method.getFullMethodName(), List.of());
        for (int i = 0; i < messages; i++) {
          // A third random messages, a third valid ones with one field changed, a third mutated bytes.
          Message base = valid.isEmpty() || fuzzer.coin(40) ? fuzzer.generate(prototype)
              : fuzzer.tweak(valid.get((int) Math.floorMod(seed + i, (long) valid.size())));
          byte[] bytes = base.toByteArray();
          requests.add(fuzzer.coin(35) ? fuzzer.mutate(bytes) : bytes);
        }
        String where = method.getFullMethodName() + " case seed " + seed;
        State before = state();
        Status status = call(raw, requests, where);
        outcomes.computeIfAbsent(method.getFullMethodName(), k -> new java.util.EnumMap<>(Status.Code.class))
            .merge(status.getCode(), 1, Integer::sum);
        String description = String.valueOf(status.getDescription());
        if (status.getCode() == Status.Code.UNKNOWN || status.getCode() == Status.Code.INTERNAL
            || LEAK.matcher(description).find()) {
          failures.add(where + ": " + status + (status.getCause() == null ? "" : " cause " + status.getCause()));
        }
        if (status.getCode() == Status.Code.INVALID_ARGUMENT && FIELD_VIOLATIONS.contains(method.getFullMethodName())
            && !description.startsWith("malformed request")) {
          com.google.rpc.Status details = StatusProto.fromThrowable(status.asRuntimeException(lastTrailers.get()));
          if (details == null || details.getDetailsList().stream().noneMatch(a -> a.is(BadRequest.class))) {
            failures.add(where + ": INVALID_ARGUMENT without field violations: " + status);
          }
        }
        if (!status.isOk() && status.getCode() != Status.Code.CANCELLED && !before.equals(state())) {
          failures.add(where + " was rejected (" + status + ") yet changed state");
        }
        if (!thrown.isEmpty()) {
          failures.add(where + " logged an exception: " + describe(thrown));
          thrown.clear();
        }
        cases++;
      }
    }
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("GeneratedInputTest: %d cases over %d methods in %d ms (seed %d)%n%s%n", cases, methods.size(),
        elapsedMs, SEED, outcomes);
    // One example of each kind of failure (method and what went wrong), with how often it happened.
    java.util.Map<String, String> firstOfKind = new java.util.TreeMap<>();
    java.util.Map<String, Integer> countOfKind = new java.util.TreeMap<>();
    for (String f : failures) {
      String kind = f.replaceAll(" case seed -?\\d+", "").replaceAll("(?s)(.{0,110}).*", "$1");
      firstOfKind.putIfAbsent(kind, f);
      countOfKind.merge(kind, 1, Integer::sum);
    }
    StringBuilder report = new StringBuilder();
    firstOfKind.forEach((k, f) -> report.append('\n').append(countOfKind.get(k)).append(" x ")
        .append(f.length() > 1500 ? f.substring(0, 1500) : f));
    assertTrue(failures.isEmpty(), failures.size() + " failures:" + report);
    // The server still serves.
    assertEquals(Status.Code.OK, Status.fromThrowable(catchStatus(() -> RegistryServiceGrpc
        .newBlockingStub(cp.channel)
            .withInterceptors(TestDeadlines.grpc())
            .register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder()
            .setService("after-fuzz").setInstanceId("a").setAddress("10.0.0.9").setPort(80)).build()))).getCode());
    assertEquals(1, cp.controlPlane.registry().service("after-fuzz").instances().size());
  }

  private final AtomicReference<Metadata> lastTrailers = new AtomicReference<>(new Metadata());

  /** Sends {@code requests} on one call; returns how it ended (CANCELLED when a stream stayed open). */
  private Status call(MethodDescriptor<byte[], byte[]> method, List<byte[]> requests, String where)
      throws InterruptedException {
    ClientCall<byte[], byte[]> call = cp.channel.newCall(method, CallOptions.DEFAULT
        .withDeadlineAfter(10, TimeUnit.SECONDS));
    AtomicReference<Status> closed = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        lastTrailers.set(trailers);
        closed.set(status);
        done.countDown();
      }
    }, new Metadata());
    call.request(1000);
    for (byte[] r : requests) {
      call.sendMessage(r);
      if (closed.get() != null) {
        break;
      }
    }
    if (closed.get() == null) {
      call.halfClose();
    }
    if (method.getType().serverSendsOneMessage()) {
      if (!done.await(10, TimeUnit.SECONDS)) {
        fail(where + ": no answer within 10 s");
      }
    } else if (closed.get() == null) {
      // A stream that accepted everything stays open for pushes: end it from this side.
      call.cancel("fuzz case over", null);
      done.await(10, TimeUnit.SECONDS);
    }
    return closed.get();
  }

  private static Throwable catchStatus(Runnable r) {
    try {
      r.run();
      return Status.OK.asRuntimeException();
    } catch (RuntimeException e) {
      return e;
    }
  }

  private static String describe(List<LogRecord> records) {
    StringBuilder s = new StringBuilder();
    for (LogRecord r : records) {
      s.append('\n').append(r.getLevel()).append(' ').append(r.getLoggerName()).append(": ").append(r.getMessage())
          .append(' ').append(r.getThrown());
    }
    return s.toString();
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };
}
