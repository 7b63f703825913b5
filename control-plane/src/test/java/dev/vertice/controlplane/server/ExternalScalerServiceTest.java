package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import com.google.rpc.BadRequest;
import dev.vertice.api.externalscaler.ExternalScalerGrpc;
import dev.vertice.api.externalscaler.GetMetricSpecResponse;
import dev.vertice.api.externalscaler.GetMetricsRequest;
import dev.vertice.api.externalscaler.IsActiveResponse;
import dev.vertice.api.externalscaler.MetricValue;
import dev.vertice.api.externalscaler.ScaledObjectRef;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.autoscale.AutoscaleConfig;
import dev.vertice.controlplane.metrics.AutoscaleMetrics;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * KEDA's ExternalScaler API over an in-process channel on a fake clock, fed by ReportStats batches:
 * the signals, activity and its stream, the metadata errors and the stream limit.
 */
@Timeout(20)
class ExternalScalerServiceTest {

  private InProcessControlPlane cp;
  private StreamObserver<ReportStatsRequest> stats;
  private final CompletableFuture<Object> statsOutcome = new CompletableFuture<>();

  private void start(AutoscaleConfig config) throws Exception {
    cp = new InProcessControlPlane(b -> b.autoscale(config));
    RegistryServiceGrpc.newBlockingStub(cp.channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
            .setInstanceId("orders-1").setAddress("10.0.0.1").setPort(8080).setVersion("v1")).build());
    stats = StatsServiceGrpc.newStub(cp.channel).reportStats(new StreamObserver<>() {
      @Override
      public void onNext(ReportStatsResponse value) {
        statsOutcome.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        statsOutcome.complete(t);
      }

      @Override
      public void onCompleted() {}
    });
  }

  @AfterEach
  void tearDown() {
    if (cp != null) {
      cp.close();
    }
  }

  /** Sends one 1-second batch of {@code requests} to orders/{@code version}. */
  private void report(String version, long requests, long errors, long inFlight) {
    stats.onNext(ReportStatsRequest.newBuilder().setReporter("gw-1")
        .setIntervalStart(Timestamp.newBuilder().setSeconds(100)).setIntervalEnd(Timestamp.newBuilder().setSeconds(101))
        .addStats(VersionStats.newBuilder().setService("orders").setVersion(version).setRequests(requests)
            .setErrors(errors).setInFlight(inFlight)).build());
  }

  private static ScaledObjectRef ref(Map<String, String> metadata) {
    return ScaledObjectRef.newBuilder().setName("orders").setNamespace("shop").putAllScalerMetadata(metadata).build();
  }

  private ExternalScalerGrpc.ExternalScalerBlockingStub scaler() {
    return ExternalScalerGrpc.newBlockingStub(cp.channel).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  private MetricValue metric(Map<String, String> metadata) {
    return scaler().getMetrics(GetMetricsRequest.newBuilder().setScaledObjectRef(ref(metadata))
        .setMetricName("s0-asked").build()).getMetricValues(0);
  }

  @Test
  void getMetricsAnswersTheSignalTheMetadataNames() throws Exception {
    start(AutoscaleConfig.ofDefaults());
    report("v1", 100, 5, 7);
    MetricValue rps = metric(Map.of("service", "orders", "metric", "rps", "target", "10"));
    assertEquals("s0-asked", rps.getMetricName(), "answered under the name KEDA asked for");
    assertEquals(100, rps.getMetricValueFloat(), 1e-9);
    assertEquals(100, rps.getMetricValue());
    assertEquals(7, metric(Map.of("service", "orders", "metric", "inflight", "target", "1")).getMetricValueFloat());
    assertEquals(0.05, metric(Map.of("service", "orders", "metric", "error_rate", "target", "0.01"))
        .getMetricValueFloat(), 1e-12);
    assertEquals(0, metric(Map.of("service", "orders", "version", "v2", "target", "10")).getMetricValueFloat());

    GetMetricSpecResponse spec = scaler().getMetricSpec(ref(Map.of("service", "Orders", "metric", "inflight",
        "target", "2.5")));
    assertEquals("vertice-inflight-orders", spec.getMetricSpecs(0).getMetricName());
    assertEquals(2.5, spec.getMetricSpecs(0).getTargetSizeFloat());
    assertEquals(3, spec.getMetricSpecs(0).getTargetSize());
  }

  @Test
  void isActiveAndItsStreamFollowTheBatches() throws Exception {
    start(AutoscaleConfig.ofDefaults());
    Map<String, String> md = Map.of("service", "orders", "target", "10");
    BlockingQueue<Object> streamed = new LinkedBlockingQueue<>();
    Context.CancellableContext ctx = Context.current().withCancellation();
    ctx.run(() -> ExternalScalerGrpc.newStub(cp.channel).streamIsActive(ref(md), observer(streamed)));
    assertEquals(false, streamed.poll(5, TimeUnit.SECONDS), "the activity at once");
    assertFalse(scaler().isActive(ref(md)).getResult());

    report("v1", 10, 0, 0);
    assertEquals(true, streamed.poll(5, TimeUnit.SECONDS), "pushed when the batch arrived");
    assertTrue(scaler().isActive(ref(md)).getResult());
    report("v1", 20, 0, 0);

    // The gateway sends nothing while idle: three of its intervals later the service is idle.
    cp.clock.forwardTime(Duration.ofMillis(3_200));
    assertEquals(false, streamed.poll(5, TimeUnit.SECONDS), "pushed when the batch went stale");
    assertFalse(scaler().isActive(ref(md)).getResult());
    assertTrue(streamed.isEmpty(), "one message per change: " + streamed);

    assertEquals(1, cp.controlPlane.autoscale().watchCount());
    ctx.cancel(null);
    assertEquals(0, cp.controlPlane.autoscale().watchCount(), "a cancelled stream releases its watch");
  }

  @Test
  void badMetadataAndUnknownServicesAreInvalidArgumentNamingTheKey() throws Exception {
    start(AutoscaleConfig.ofDefaults());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> scaler().getMetrics(
        GetMetricsRequest.newBuilder().setScaledObjectRef(ref(Map.of("service", "orders", "metric", "cpu",
            "target", "zero"))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(List.of("scaledObjectRef.scalerMetadata.metric", "scaledObjectRef.scalerMetadata.target"),
        fields(e));
    assertTrue(e.getStatus().getDescription().contains("'cpu' is not a metric; use one of rps|inflight|p99_ms|error_rate"),
        e.getStatus().getDescription());

    e = assertThrows(StatusRuntimeException.class, () -> scaler().isActive(ref(Map.of("service", "billing",
        "target", "1"))));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(List.of("scalerMetadata.service"), fields(e));
    assertTrue(e.getStatus().getDescription().contains("'billing' is not a known service"),
        e.getStatus().getDescription());

    BlockingQueue<Object> streamed = new LinkedBlockingQueue<>();
    ExternalScalerGrpc.newStub(cp.channel).streamIsActive(ref(Map.of("target", "1")), observer(streamed));
    Object outcome = streamed.poll(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable((Throwable) outcome).getCode());
    assertEquals(0, cp.controlPlane.autoscale().watchCount());
  }

  @Test
  void streamsBeyondTheLimitAreRefused() throws Exception {
    start(AutoscaleConfig.custom().maxActivityStreams(1).build());
    Map<String, String> md = Map.of("service", "orders", "target", "10");
    BlockingQueue<Object> first = new LinkedBlockingQueue<>();
    BlockingQueue<Object> second = new LinkedBlockingQueue<>();
    Context.CancellableContext ctx = Context.current().withCancellation();
    ctx.run(() -> ExternalScalerGrpc.newStub(cp.channel).streamIsActive(ref(md), observer(first)));
    assertEquals(false, first.poll(5, TimeUnit.SECONDS));
    ExternalScalerGrpc.newStub(cp.channel).streamIsActive(ref(md), observer(second));
    Status refused = Status.fromThrowable((Throwable) second.poll(5, TimeUnit.SECONDS));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getCode());
    assertTrue(refused.getDescription().contains("1 StreamIsActive streams"), refused.getDescription());
    ctx.cancel(null);
  }

  @Test
  void inFlightAboveTheLimitIsRejectedNamingTheField() throws Exception {
    start(AutoscaleConfig.ofDefaults());
    report("v1", 0, 0, 2_000_000_000L);
    Object outcome = statsOutcome.get(5, TimeUnit.SECONDS);
    StatusRuntimeException e = (StatusRuntimeException) outcome;
    assertEquals(List.of("stats[0].in_flight"), fields(e));
  }

  @Test
  void signalsAreExportedPerServiceAndVersion() throws Exception {
    start(AutoscaleConfig.ofDefaults());
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new AutoscaleMetrics(registry).bind(cp.controlPlane.autoscale());
    report("v1", 100, 0, 3);
    cp.clock.forwardTime(Duration.ofMillis(1_100));
    assertEquals(100, registry.get("vertice.autoscale.requests.per.second").tag("service", "orders").gauge().value(),
        1e-9);
    assertEquals(3, registry.get("vertice.autoscale.version.in.flight").tags("service", "orders", "version", "v1")
        .gauge().value());
    assertEquals(1, registry.get("vertice.autoscale.reporters").gauge().value());
    // Idle and stale: the series go.
    cp.clock.forwardTime(Duration.ofMillis(3_000));
    assertTrue(registry.find("vertice.autoscale.requests.per.second").gauges().isEmpty());
  }

  private static List<String> fields(StatusRuntimeException e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    try {
      return s.getDetails(0).unpack(BadRequest.class).getFieldViolationsList().stream()
          .map(BadRequest.FieldViolation::getField).toList();
    } catch (com.google.protobuf.InvalidProtocolBufferException x) {
      throw new AssertionError(x);
    }
  }

  private static StreamObserver<IsActiveResponse> observer(BlockingQueue<Object> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(IsActiveResponse value) {
        into.add(value.getResult());
      }

      @Override
      public void onError(Throwable t) {
        into.add(t);
      }

      @Override
      public void onCompleted() {
        into.add("completed");
      }
    };
  }
}
