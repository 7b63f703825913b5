package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import com.google.rpc.BadRequest;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.store.LatencyHistogram;
import dev.vertice.controlplane.store.StatsWindow;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ReportStats over an in-process channel: validation, limits and buckets by the server's second. */
class StatsServiceTest {

  /** A wall clock the test moves. */
  static final class MutableClock extends Clock {
    volatile long millis;

    MutableClock(long millis) {
      this.millis = millis;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }
  }

  private final MutableClock wall = new MutableClock(1_700_000_000_000L);
  private InProcessControlPlane cp;

  @BeforeEach
  void setUp() throws Exception {
    cp = new InProcessControlPlane(b -> b.wallClock(wall));
    // Only versions the registry knows are kept (StatsLimitsTest).
    for (String version : List.of("v1", "v2", "v3", "v4", "v5")) {
      cp.controlPlane.store().register(dev.vertice.api.registry.v1.Instance.newBuilder().setService("shop")
          .setInstanceId("shop-" + version).setAddress("127.0.0.1").setPort(8000).setVersion(version).setWeight(1)
          .setProtocol(dev.vertice.api.registry.v1.Protocol.PROTOCOL_HTTP).build(), java.time.Duration.ofMinutes(5),
          java.time.Duration.ofMinutes(5));
    }
  }

  @AfterEach
  void tearDown() {
    cp.close();
  }

  static VersionStats.Builder entry(String service, String version, long requests, long errors) {
    return VersionStats.newBuilder().setService(service).setVersion(version).setRequests(requests).setErrors(errors)
        .addAllLatencyBoundsSeconds(List.of(0.05, 0.1, 0.5))
        .addAllLatencyCounts(List.of(requests - errors, errors, 0L, 0L));
  }

  static ReportStatsRequest.Builder batch(VersionStats.Builder... entries) {
    ReportStatsRequest.Builder b = ReportStatsRequest.newBuilder().setReporter("gateway-1")
        .setIntervalStart(Timestamp.newBuilder().setSeconds(100))
        .setIntervalEnd(Timestamp.newBuilder().setSeconds(101));
    for (VersionStats.Builder e : entries) {
      b.addStats(e);
    }
    return b;
  }

  /** A ReportStats stream that records its outcome. */
  private final class Report implements StreamObserver<ReportStatsResponse> {
    final CompletableFuture<Object> outcome = new CompletableFuture<>();
    final StreamObserver<ReportStatsRequest> requests = StatsServiceGrpc.newStub(cp.channel).reportStats(this);

    @Override
    public void onNext(ReportStatsResponse value) {
      outcome.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      outcome.complete(t);
    }

    @Override
    public void onCompleted() {}

    Object finish() throws Exception {
      requests.onCompleted();
      return outcome.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void batchesAreBucketedByTheServersSecondAndSummedInAWindow() throws Exception {
    long start = wall.millis;
    Report r = new Report();
    r.requests.onNext(batch(entry("SHOP", "v2", 100, 10), entry("shop", "v1", 200, 0)).build());
    wall.millis += 1_000;
    r.requests.onNext(batch(entry("shop", "v2", 50, 0)).build());
    wall.millis += 1_000;
    r.requests.onNext(batch(entry("shop", "v2", 1000, 1000)).build());
    ReportStatsResponse done = (ReportStatsResponse) r.finish();
    assertEquals(3, done.getBatchesAccepted());

    StatsWindow w = cp.controlPlane.stats().window("shop", "v2", start, start + 2_000);
    assertEquals(150, w.requests(), "the third batch arrived in the third second: outside the window");
    assertEquals(10, w.errors());
    assertEquals(new LatencyHistogram(List.of(0.05, 0.1, 0.5), List.of(140L, 10L, 0L, 0L)), w.latency());
    // Rank 148.5 of 150 lies 8.5 requests into the (0.05, 0.1] bucket of 10.
    assertEquals(0.05 + 0.05 * 8.5 / 10, w.p99Seconds(), 1e-9);
    assertEquals(200, cp.controlPlane.stats().window("shop", "v1", start, start + 3_000).requests());
  }

  @Test
  void aBadBatchEndsTheStreamNamingEveryFieldAndTheBatchesBeforeItAreKept() throws Exception {
    long start = wall.millis;
    Report r = new Report();
    r.requests.onNext(batch(entry("shop", "v2", 10, 1)).build());
    r.requests.onNext(ReportStatsRequest.newBuilder()
        .setIntervalStart(Timestamp.newBuilder().setSeconds(100))
        .setIntervalEnd(Timestamp.newBuilder().setSeconds(99))
        .addStats(entry("Bad Name", "", 10, 11))
        .addStats(entry("shop", "v2", 10, 0).clearLatencyCounts().addAllLatencyCounts(List.of(1L, 2L)))
        .addStats(entry("shop", "v3", 10, 0).clearLatencyBoundsSeconds().addAllLatencyBoundsSeconds(
            List.of(0.1, 0.1, 0.5)))
        .addStats(entry("shop", "v4", 10, 0).clearLatencyCounts().addAllLatencyCounts(List.of(1L, 1L, 1L, 1L)))
        .addStats(entry("shop", "v4", 4, 0).clearLatencyCounts().addAllLatencyCounts(List.of(1L, 1L, 1L, 1L)))
        .addStats(entry("shop", "v5", -1, 0))
        .build());
    Throwable t = (Throwable) r.finish();
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(t).getCode());
    com.google.rpc.Status detail = StatusProto.fromThrowable(t);
    assertNotNull(detail);
    List<String> fields = detail.getDetails(0).unpack(BadRequest.class).getFieldViolationsList().stream()
        .map(BadRequest.FieldViolation::getField).toList();
    assertEquals(List.of("reporter", "interval_end", "stats[0].service", "stats[0].version", "stats[0].errors",
        "stats[0].latency_counts", "stats[1].latency_counts", "stats[2].latency_bounds_seconds[1]", "stats[3].latency_counts", "stats[4]",
        "stats[5].requests"), fields, t.getMessage());
    assertTrue(t.getMessage().contains("18446744073709551615 is above the limit"), t.getMessage());
    assertEquals(10, cp.controlPlane.stats().window("shop", "v2", start, start + 1_000).requests(),
        "the first batch was kept");
    assertEquals(0, cp.controlPlane.stats().window("shop", "v4", start, start + 1_000).requests(),
        "nothing of the bad batch was");
  }

  @Test
  void limitsOfEntriesAndBucketsAreEnforced() throws Exception {
    ReportStatsRequest.Builder big = batch();
    for (int i = 0; i <= StatsValidation.MAX_STATS_PER_BATCH; i++) {
      big.addStats(VersionStats.newBuilder().setService("s" + i).setVersion("v1").setRequests(1));
    }
    Report tooMany = new Report();
    tooMany.requests.onNext(big.build());
    Throwable t = (Throwable) tooMany.finish();
    assertTrue(t.getMessage().contains("1025 entries; at most 1024 per batch"), t.getMessage());

    VersionStats.Builder buckets = VersionStats.newBuilder().setService("shop").setVersion("v1").setRequests(0);
    for (int i = 1; i <= StatsValidation.MAX_BUCKETS + 1; i++) {
      buckets.addLatencyBoundsSeconds(i * 0.01).addLatencyCounts(0);
    }
    buckets.addLatencyCounts(0);
    Report tooFine = new Report();
    tooFine.requests.onNext(batch(buckets).build());
    t = (Throwable) tooFine.finish();
    assertTrue(t.getMessage().contains("65 bounds; at most 64"), t.getMessage());

    // Exactly at the limits is fine.
    ReportStatsRequest.Builder full = batch();
    for (int i = 0; i < StatsValidation.MAX_STATS_PER_BATCH; i++) {
      full.addStats(VersionStats.newBuilder().setService("s" + i).setVersion("v1").setRequests(1));
    }
    Report ok = new Report();
    ok.requests.onNext(full.build());
    assertEquals(1, ((ReportStatsResponse) ok.finish()).getBatchesAccepted());
  }
}
