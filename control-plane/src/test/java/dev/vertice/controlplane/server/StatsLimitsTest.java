package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import com.google.rpc.BadRequest;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.store.StatsLimits;
import dev.vertice.security.auth.AuthContext;
import dev.vertice.security.auth.Identity;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What ReportStats may add to the stats store (issue 18, defects 3 and 4): only versions the
 * registry knows, counts one interval can hold, entries per reporter and per second, series up to
 * a limit that never hides a rollout's versions; with auth on, the reporter is the caller.
 */
@Timeout(30)
class StatsLimitsTest {

  private final StatsServiceTest.MutableClock wall = new StatsServiceTest.MutableClock(1_700_000_000_000L);
  /** The identity the in-process server puts on each call (auth on when set). */
  private final AtomicReference<Identity> caller = new AtomicReference<>();
  private ControlPlane cp;
  private Server server;
  private ManagedChannel channel;

  private void start(StatsLimits limits) throws Exception {
    cp = ControlPlane.builder().wallClock(wall).statsLimits(limits).build();
    ServerInterceptor auth = new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        Identity id = caller.get();
        return id == null ? next.startCall(call, headers)
            : Contexts.interceptCall(AuthContext.with(Context.current(), id), call, headers, next);
      }
    };
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
    for (BindableService s : cp.services()) {
      b.addService(ServerInterceptors.intercept(s, auth));
    }
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (cp != null) {
      cp.close();
    }
  }

  private void register(String service, String version) throws Exception {
    cp.store().register(Instance.newBuilder().setService(service).setInstanceId(service + "-" + version)
        .setAddress("127.0.0.1").setPort(8000).setVersion(version).setWeight(100)
        .setProtocol(Protocol.PROTOCOL_HTTP).setHealth(HealthStatus.HEALTH_STATUS_SERVING).build(),
        Duration.ofMinutes(5), Duration.ofMinutes(5));
  }

  private static VersionStats entry(String service, String version, long requests) {
    return VersionStats.newBuilder().setService(service).setVersion(version).setRequests(requests).build();
  }

  private static ReportStatsRequest batch(String reporter, VersionStats... entries) {
    return ReportStatsRequest.newBuilder().setReporter(reporter)
        .setIntervalStart(Timestamp.newBuilder().setSeconds(100)).setIntervalEnd(Timestamp.newBuilder().setSeconds(101))
        .addAllStats(List.of(entries)).build();
  }

  /** Sends {@code batches} on one stream; returns the response or the error. */
  private Object report(ReportStatsRequest... batches) throws Exception {
    CompletableFuture<Object> outcome = new CompletableFuture<>();
    StreamObserver<ReportStatsRequest> requests = StatsServiceGrpc.newStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).reportStats(new StreamObserver<>() {
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
        });
    for (ReportStatsRequest b : batches) {
      requests.onNext(b);
    }
    requests.onCompleted();
    return outcome.get(10, TimeUnit.SECONDS);
  }

  private long requests(String service, String version) throws Exception {
    return cp.stats().window(service, version, wall.millis - 5_000, wall.millis + 1_000).requests();
  }

  @Test
  void statsOfVersionsTheRegistryDoesNotKnowAreNotKeptAndAreCounted() throws Exception {
    start(StatsLimits.ofDefaults());
    register("shop", "v1");
    Object done = report(batch("gw", entry("shop", "v1", 10), entry("shop", "made-up", 10),
        entry("no-such-service", "v1", 10)));
    assertEquals(1, ((ReportStatsResponse) done).getBatchesAccepted(), "the stream goes on: " + done);
    assertEquals(10, requests("shop", "v1"));
    assertEquals(0, requests("shop", "made-up"));
    assertEquals(0, requests("no-such-service", "v1"));
    assertEquals(2, cp.statsDropped(StatsGrpcService.DROPPED_UNKNOWN));
    assertEquals(1, cp.stats().seriesCount(), "no series was made for the unknown versions");
  }

  @Test
  void aVersionNamedByTheServicesPolicyIsKnownBeforeItsFirstInstance() throws Exception {
    start(StatsLimits.ofDefaults());
    register("shop", "v1");
    cp.trafficPolicies().put(TrafficPolicy.newBuilder().setService("shop")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(90))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(10)).build());
    report(batch("gw", entry("shop", "v2", 7)));
    assertEquals(7, requests("shop", "v2"));
  }

  @Test
  void aRolloutsSeriesIsKeptPastTheSeriesLimitAndOtherNewSeriesAreDroppedAndCounted() throws Exception {
    start(StatsLimits.custom().maxSeries(3).build());
    for (String s : List.of("a", "b", "c", "d")) {
      register(s, "v1");
    }
    register("shop", "v1");
    register("shop", "v2");
    cp.trafficPolicies().put(TrafficPolicy.newBuilder().setService("shop").setRolloutId("shop-1")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(95))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(5)).build());
    // Three busy series fill the store; then a fourth and the rollout's two arrive.
    Object first = report(batch("gw", entry("a", "v1", 1), entry("b", "v1", 1), entry("c", "v1", 1)));
    assertEquals(1, ((ReportStatsResponse) first).getBatchesAccepted());
    wall.millis += 1_000;
    Object second = report(batch("gw", entry("d", "v1", 1), entry("shop", "v1", 100), entry("shop", "v2", 5)));
    assertEquals(1, ((ReportStatsResponse) second).getBatchesAccepted(), "a full store fails no stream: " + second);
    assertEquals(100, requests("shop", "v1"));
    assertEquals(5, requests("shop", "v2"), "the candidate's traffic is seen although the store was full");
    assertEquals(0, requests("d", "v1"));
    assertEquals(1, cp.statsDropped(StatsGrpcService.DROPPED_SERIES_LIMIT), "the drop is counted, not silent");
    assertEquals(5, cp.stats().seriesCount());
  }

  @Test
  void anEntryCountingMoreThanOneIntervalCanHoldIsRefusedWithItsFieldAndNothingIsKept() throws Exception {
    start(StatsLimits.custom().maxRequestsPerEntry(1_000).build());
    register("shop", "v1");
    register("shop", "v2");
    Object done = report(batch("gw", entry("shop", "v1", 10), entry("shop", "v2", 1_000_000_000_000L)));
    Throwable t = (Throwable) done;
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(t).getCode());
    BadRequest bad = StatusProto.fromThrowable(t).getDetails(0).unpack(BadRequest.class);
    assertEquals("stats[1].requests", bad.getFieldViolations(0).getField());
    assertTrue(bad.getFieldViolations(0).getDescription().contains("above the limit of 1000 requests per entry"),
        bad.toString());
    assertEquals(0, requests("shop", "v1"), "nothing of the refused batch was kept");
    assertEquals(0, requests("shop", "v2"));
  }

  @Test
  void aReporterOverItsEntriesPerSecondIsRefusedWithResourceExhaustedUntilTheNextSecond() throws Exception {
    start(StatsLimits.custom().maxEntriesPerBatch(2).maxEntriesPerReporterPerSecond(3).build());
    register("shop", "v1");
    register("shop", "v2");
    Object done = report(batch("gw", entry("shop", "v1", 1), entry("shop", "v2", 1)),
        batch("gw", entry("shop", "v1", 10), entry("shop", "v2", 10)));
    Throwable t = (Throwable) done;
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, Status.fromThrowable(t).getCode());
    assertTrue(t.getMessage().contains("at most 3 per reporter per second"), t.getMessage());
    assertEquals(1, requests("shop", "v1"), "the first batch was kept, the refused one changed nothing");
    // Another reporter has its own budget; the first one's comes back the next second.
    assertEquals(1, ((ReportStatsResponse) report(batch("gw-2", entry("shop", "v1", 1)))).getBatchesAccepted());
    wall.millis += 1_000;
    assertEquals(1, ((ReportStatsResponse) report(batch("gw", entry("shop", "v1", 1), entry("shop", "v2", 1))))
        .getBatchesAccepted());
  }

  @Test
  void allReportersTogetherAreBoundedPerSecond() throws Exception {
    start(StatsLimits.custom().maxEntriesPerBatch(2).maxEntriesPerSecond(3).build());
    register("shop", "v1");
    register("shop", "v2");
    assertEquals(1, ((ReportStatsResponse) report(batch("gw-1", entry("shop", "v1", 1), entry("shop", "v2", 1))))
        .getBatchesAccepted());
    Throwable t = (Throwable) report(batch("gw-2", entry("shop", "v1", 1), entry("shop", "v2", 1)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, Status.fromThrowable(t).getCode());
    assertTrue(t.getMessage().contains("at most 3 per second from all reporters"), t.getMessage());
  }

  @Test
  void withAuthTheReporterIsTheCallerWhateverTheReporterFieldSays() throws Exception {
    start(StatsLimits.custom().maxEntriesPerBatch(2).maxEntriesPerReporterPerSecond(2).build());
    register("shop", "v1");
    register("shop", "v2");
    caller.set(new Identity(Identity.Kind.GATEWAY, "edge-1", "cn:edge-1", Identity.Source.MTLS));
    assertEquals(1, ((ReportStatsResponse) report(batch("edge-1", entry("shop", "v1", 1), entry("shop", "v2", 1))))
        .getBatchesAccepted());
    // Another reporter name does not give the same caller another budget.
    Throwable t = (Throwable) report(batch("made-up-reporter", entry("shop", "v1", 1)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, Status.fromThrowable(t).getCode());
    assertTrue(t.getMessage().contains("gateway edge-1"), t.getMessage());
    // Another gateway has its own.
    caller.set(new Identity(Identity.Kind.GATEWAY, "edge-2", "cn:edge-2", Identity.Source.MTLS));
    assertEquals(1, ((ReportStatsResponse) report(batch("edge-1", entry("shop", "v1", 1)))).getBatchesAccepted());
  }

  @Test
  void impossibleLimitsAreRefusedNamingTheSetting() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> StatsLimits.custom().maxSeries(0));
    assertTrue(e.getMessage().contains("maxSeries must be positive: 0"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> StatsLimits.custom().maxEntriesPerBatch(10).maxEntriesPerReporterPerSecond(5).build());
    assertTrue(e.getMessage().contains("maxEntriesPerReporterPerSecond (5)"), e.getMessage());
  }
}
