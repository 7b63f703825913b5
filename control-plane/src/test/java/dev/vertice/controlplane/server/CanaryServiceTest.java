package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import dev.vertice.api.canary.v1.AbortRequest;
import dev.vertice.api.canary.v1.AnalysisThresholds;
import dev.vertice.api.canary.v1.CanaryServiceGrpc;
import dev.vertice.api.canary.v1.CreateRolloutRequest;
import dev.vertice.api.canary.v1.DeadlineAction;
import dev.vertice.api.canary.v1.Decision;
import dev.vertice.api.canary.v1.DecisionKind;
import dev.vertice.api.canary.v1.GetRolloutRequest;
import dev.vertice.api.canary.v1.ListRolloutsRequest;
import dev.vertice.api.canary.v1.PauseRequest;
import dev.vertice.api.canary.v1.PromoteRequest;
import dev.vertice.api.canary.v1.ResumeRequest;
import dev.vertice.api.canary.v1.RollbackRequest;
import dev.vertice.api.canary.v1.Rollout;
import dev.vertice.api.canary.v1.RolloutSpec;
import dev.vertice.api.canary.v1.RolloutState;
import dev.vertice.api.canary.v1.Strategy;
import dev.vertice.api.canary.v1.WatchRolloutRequest;
import dev.vertice.api.canary.v1.WatchRolloutResponse;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.store.memory.InMemoryRolloutStore;
import dev.vertice.testkit.FakeClock;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CanaryService end to end inside one JVM: a real control plane on a fake clock behind an
 * in-process server, instances registered over RegistryService, a data-plane watcher of
 * TRAFFIC_POLICY over DiscoveryService, and per-version request stats reported over StatsService
 * (as a gateway does) into the control plane's stats store, from which the controller reads each
 * stage window.
 */
class CanaryServiceTest {

  static final Instant BASE = Instant.parse("2026-01-01T12:00:00Z");
  /** Latency histogram bounds in seconds, as a gateway reports them. */
  static final List<Double> BOUNDS = List.of(0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6);

  final FakeClock clock = new FakeClock();
  /** Wall-clock time that follows the fake clock. */
  final Clock wall = new Clock() {
    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return BASE.plusNanos(clock.nanoTime());
    }
  };
  /** Survives a restart: handed to the next control plane. */
  final InMemoryRolloutStore rollouts = new InMemoryRolloutStore();
  final List<AutoCloseable> cleanup = new ArrayList<>();
  ControlPlane cp;
  ManagedChannel channel;
  CanaryServiceGrpc.CanaryServiceBlockingStub canary;
  WatchStream gateway;

  @BeforeEach
  void setUp() throws Exception {
    start();
    register("orders", "v1", "i-1");
    register("orders", "v2", "i-2");
    gateway = WatchStream.open(channel, "gw-1");
    gateway.send(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY).addSubscribe("orders"));
    assertEquals(List.of("-orders"), WatchStream.names(gateway.nextAcked()), "no policy before a rollout");
  }

  /** Starts a control plane (again, after a restart) on the same clock and rollout repository. */
  void start() throws IOException {
    cp = ControlPlane.builder().ticker(clock).scheduler(clock.scheduler())
        .wallClock(wall)
        .rolloutStore(rollouts)
        .build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
    for (BindableService s : cp.services()) {
      b.addService(s);
    }
    Server server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    ManagedChannel ch = channel;
    ControlPlane plane = cp;
    cleanup.add(() -> {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      plane.close();
    });
    canary = CanaryServiceGrpc.newBlockingStub(channel).withInterceptors(TestDeadlines.grpc());
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  void register(String service, String version, String id) {
    RegistryServiceGrpc.newBlockingStub(channel)
        .withInterceptors(TestDeadlines.grpc()).register(RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder().setService(service).setInstanceId(id).setAddress("10.0.0.1").setPort(8080)
            .setVersion(version))
        .setTtl(Duration.newBuilder().setSeconds(3600))
        .build());
  }

  /**
   * Reports, as gateway "gw-1", what {@code version} of orders served in the last second: {@code
   * requests} of which {@code errors} failed, all taking about {@code latencySeconds}.
   */
  void report(String version, long requests, long errors, double latencySeconds) throws Exception {
    VersionStats.Builder v = VersionStats.newBuilder().setService("orders").setVersion(version)
        .setRequests(requests).setErrors(errors).addAllLatencyBoundsSeconds(BOUNDS);
    for (int i = 0; i <= BOUNDS.size(); i++) {
      boolean bucket = (i == 0 || BOUNDS.get(i - 1) < latencySeconds)
          && (i == BOUNDS.size() || latencySeconds <= BOUNDS.get(i));
      v.addLatencyCounts(bucket ? requests : 0);
    }
    Instant now = wall.instant();
    CompletableFuture<ReportStatsResponse> done = new CompletableFuture<>();
    StreamObserver<ReportStatsRequest> out = StatsServiceGrpc.newStub(channel).reportStats(new StreamObserver<>() {
      @Override
      public void onNext(ReportStatsResponse value) {
        done.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    out.onNext(ReportStatsRequest.newBuilder().setReporter("gw-1")
        .setIntervalStart(com.google.protobuf.Timestamp.newBuilder().setSeconds(now.getEpochSecond() - 1))
        .setIntervalEnd(com.google.protobuf.Timestamp.newBuilder().setSeconds(now.getEpochSecond()))
        .addStats(v)
        .build());
    out.onCompleted();
    assertEquals(1, done.get(5, TimeUnit.SECONDS).getBatchesAccepted());
  }

  /** Reports a second of traffic split 95/5-ish: the stable version healthy, the candidate as given. */
  void traffic(long candidateRequests, long candidateErrors, double candidateLatency) throws Exception {
    report("v1", 2000, 4, 0.09);
    report("v2", candidateRequests, candidateErrors, candidateLatency);
  }

  static RolloutSpec.Builder spec() {
    return RolloutSpec.newBuilder().setService("orders").setStableVersion("v1").setCandidateVersion("v2")
        .setStageDuration(Duration.newBuilder().setSeconds(30))
        .setAnalysisInterval(Duration.newBuilder().setSeconds(10))
        .setProgressDeadline(Duration.newBuilder().setSeconds(120));
  }

  Rollout create(RolloutSpec.Builder spec) {
    return canary.createRollout(CreateRolloutRequest.newBuilder().setSpec(spec).build()).getRollout();
  }

  Rollout get(String id) {
    return canary.getRollout(GetRolloutRequest.newBuilder().setId(id).build()).getRollout();
  }

  void forward(long seconds) {
    clock.forwardTime(java.time.Duration.ofSeconds(seconds));
  }

  /** Returns the candidate weight of the next policy the gateway receives, ACKing it. */
  int nextCandidateWeight() throws InterruptedException {
    WatchResponse r = gateway.nextAcked();
    clock.runDueTasks(); // the controller hears of the ACK on its scheduler
    TrafficPolicy p = policy(r);
    assertEquals("v1", p.getSubsets(0).getVersion());
    assertEquals("v2", p.getSubsets(1).getVersion());
    assertEquals(100, p.getSubsets(0).getWeight() + p.getSubsets(1).getWeight());
    return p.getSubsets(1).getWeight();
  }

  static TrafficPolicy policy(WatchResponse r) {
    try {
      return r.getResources(0).getResource().unpack(TrafficPolicy.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void createPushesTheFirstStageToTheDataPlaneAndReportsConvergence() throws Exception {
    Rollout r = create(spec());
    assertEquals("orders-1", r.getId());
    assertEquals(RolloutState.ROLLOUT_STATE_PROGRESSING, r.getState());
    assertEquals(5, r.getCandidateWeight());
    assertEquals(List.of(5, 25, 50, 100), r.getSpec().getStageWeightsList());
    assertEquals(0.05, r.getSpec().getThresholds().getMaxErrorRate());
    assertFalse(r.getPolicyConverged(), "the gateway has not ACKed yet");
    WatchResponse pushed = gateway.next();
    TrafficPolicy p = policy(pushed);
    assertEquals("orders-1", p.getRolloutId());
    assertEquals(95, p.getSubsets(0).getWeight());
    assertEquals(5, p.getSubsets(1).getWeight());
    clock.runDueTasks();
    assertFalse(get("orders-1").getPolicyConverged());
    gateway.ack(pushed);
    clock.runDueTasks();
    assertTrue(get("orders-1").getPolicyConverged());
  }

  @Test
  void healthyCandidateIsPromotedThroughEveryStage() throws Exception {
    create(spec());
    assertEquals(5, nextCandidateWeight());
    // Each stage's window starts empty: the gateway reports the stage's traffic.
    for (int weight : List.of(25, 50, 100)) {
      traffic(400, 2, 0.09);
      forward(30);
      assertEquals(weight, nextCandidateWeight());
    }
    report("v2", 4000, 8, 0.09);
    forward(30);
    Rollout r = get("orders-1");
    assertEquals(RolloutState.ROLLOUT_STATE_PROMOTED, r.getState());
    assertEquals(100, r.getCandidateWeight());
    assertTrue(r.getPolicyConverged());
    assertTrue(r.getMessage().startsWith("promoted: v2 has all the traffic of orders"), r.getMessage());
  }

  @Test
  void twentyPercentErrorsRollBackAtTheFirstStageWithReasonAndNumbers() throws Exception {
    create(spec());
    assertEquals(5, nextCandidateWeight());
    traffic(250, 50, 0.09);
    forward(10);
    assertEquals(0, nextCandidateWeight(), "the rollback reaches the gateway in one push");
    Rollout r = get("orders-1");
    assertEquals(RolloutState.ROLLOUT_STATE_ROLLED_BACK, r.getState());
    assertEquals(0, r.getStage());
    assertTrue(r.getPolicyConverged());
    Decision d = r.getDecisions(r.getDecisionsCount() - 1);
    assertEquals(DecisionKind.DECISION_KIND_ROLLBACK, d.getKind());
    assertEquals("error_rate", d.getCheck());
    assertEquals(250, d.getCandidate().getRequests());
    assertEquals(50, d.getCandidate().getErrors());
    assertEquals(0.2, d.getCandidate().getErrorRate(), 1e-9);
    assertEquals(2000, d.getStable().getRequests());
    assertEquals(4, d.getStable().getErrors());
    assertTrue(d.getReason().contains("candidate error rate 20.00 % > max 5.00 % (50 of 250 requests)"), d.getReason());
  }

  @Test
  void tripleLatencyRollsBackOnTheLatencyCheck() throws Exception {
    create(spec());
    assertEquals(5, nextCandidateWeight());
    traffic(250, 0, 0.3); // about 3x the stable version's 0.09 s
    forward(10);
    assertEquals(0, nextCandidateWeight());
    Rollout r = get("orders-1");
    Decision d = r.getDecisions(r.getDecisionsCount() - 1);
    assertEquals("latency", d.getCheck());
    // p99s interpolated in the reported histograms' buckets: (0.2, 0.4] and (0.05, 0.1].
    assertTrue(d.getCandidate().getP99Seconds() > 0.2 && d.getCandidate().getP99Seconds() <= 0.4, d.toString());
    assertTrue(d.getStable().getP99Seconds() > 0.05 && d.getStable().getP99Seconds() <= 0.1, d.toString());
    assertTrue(d.getReason().contains("candidate p99"), d.getReason());
    // The U test ran on the reported histograms, which the decision keeps.
    assertTrue(d.getReason().contains("Mann-Whitney U, candidate against 1.50 x stable latencies (250 vs 2000"
        + " requests)"), d.getReason());
    assertEquals(BOUNDS, d.getCandidate().getLatencyBoundsSecondsList());
    assertEquals(250, d.getCandidate().getLatencyCounts(4));
  }

  @Test
  void manualPromotePauseResumeAndAbort() throws Exception {
    create(spec());
    assertEquals(5, nextCandidateWeight());
    Rollout r = canary.promote(PromoteRequest.newBuilder().setId("orders-1").build()).getRollout();
    assertEquals(25, r.getCandidateWeight());
    assertEquals(25, nextCandidateWeight());
    r = canary.pause(PauseRequest.newBuilder().setId("orders-1").build()).getRollout();
    assertEquals(RolloutState.ROLLOUT_STATE_PAUSED, r.getState());
    StatusRuntimeException again = assertThrows(StatusRuntimeException.class,
        () -> canary.pause(PauseRequest.newBuilder().setId("orders-1").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, again.getStatus().getCode());
    traffic(250, 250, 1.5); // terrible, but nobody looks while paused
    forward(300);
    assertEquals(RolloutState.ROLLOUT_STATE_PAUSED, get("orders-1").getState());
    r = canary.resume(ResumeRequest.newBuilder().setId("orders-1").build()).getRollout();
    assertEquals(RolloutState.ROLLOUT_STATE_PROGRESSING, r.getState());
    StatusRuntimeException notPaused = assertThrows(StatusRuntimeException.class,
        () -> canary.resume(ResumeRequest.newBuilder().setId("orders-1").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, notPaused.getStatus().getCode());
    assertTrue(notPaused.getStatus().getDescription().contains("not PAUSED"));
    traffic(250, 0, 0.09); // the resumed stage's window starts now
    forward(30);
    assertEquals(50, nextCandidateWeight());
    r = canary.abort(AbortRequest.newBuilder().setId("orders-1").build()).getRollout();
    assertEquals(RolloutState.ROLLOUT_STATE_ABORTED, r.getState());
    assertEquals(0, nextCandidateWeight());
    StatusRuntimeException ended = assertThrows(StatusRuntimeException.class,
        () -> canary.promote(PromoteRequest.newBuilder().setId("orders-1").setFull(true).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, ended.getStatus().getCode());
  }

  @Test
  void fullPromoteAndManualRollbackWithAReason() throws Exception {
    create(spec());
    assertEquals(5, nextCandidateWeight());
    Rollout r = canary.promote(PromoteRequest.newBuilder().setId("orders-1").setFull(true).build()).getRollout();
    assertEquals(RolloutState.ROLLOUT_STATE_PROMOTED, r.getState());
    assertEquals(100, nextCandidateWeight());
    create(spec());
    assertEquals(5, nextCandidateWeight());
    r = canary.rollback(RollbackRequest.newBuilder().setId("orders-2").setReason("dashboards look wrong").build())
        .getRollout();
    assertEquals(RolloutState.ROLLOUT_STATE_ROLLED_BACK, r.getState());
    assertEquals("rolled back by an operator: dashboards look wrong",
        r.getDecisions(r.getDecisionsCount() - 1).getReason());
    assertEquals(0, nextCandidateWeight());
  }

  @Test
  void blueGreenSwitchesAtOnceAndSwitchesBack() throws Exception {
    report("v1", 2000, 0, 0.09); // the stable version's latency before the switch
    forward(1);
    Rollout r = create(spec().setStrategy(Strategy.STRATEGY_BLUE_GREEN));
    assertEquals(List.of(100), r.getSpec().getStageWeightsList());
    assertEquals(100, r.getCandidateWeight());
    assertEquals(100, nextCandidateWeight());
    // The candidate has all the traffic; its latency is compared with the stable p99 measured before the switch.
    report("v2", 3000, 0, 0.35);
    forward(10);
    assertEquals(0, nextCandidateWeight(), "switched back at once");
    r = get(r.getId());
    assertEquals(RolloutState.ROLLOUT_STATE_ROLLED_BACK, r.getState());
    assertEquals("latency", r.getDecisions(r.getDecisionsCount() - 1).getCheck());
    assertTrue(r.getDecisions(r.getDecisionsCount() - 1).getReason().contains("x earlier stable p99"),
        r.getDecisions(r.getDecisionsCount() - 1).getReason());

    r = create(spec().setStrategy(Strategy.STRATEGY_BLUE_GREEN));
    assertEquals(100, nextCandidateWeight());
    r = canary.rollback(RollbackRequest.newBuilder().setId(r.getId()).setReason("switch back").build()).getRollout();
    assertEquals(0, r.getCandidateWeight());
    assertEquals(0, nextCandidateWeight());
  }

  @Test
  void tooLittleTrafficIsReportedThenRolledBackAtTheDeadline() throws Exception {
    create(spec());
    assertEquals(5, nextCandidateWeight());
    traffic(12, 0, 0.09);
    forward(10);
    Rollout r = get("orders-1");
    assertEquals(RolloutState.ROLLOUT_STATE_WAITING_FOR_TRAFFIC, r.getState());
    assertTrue(r.getMessage().startsWith("waiting for traffic: the candidate saw 12 of the 100 requests"),
        r.getMessage());
    forward(100);
    assertEquals(RolloutState.ROLLOUT_STATE_WAITING_FOR_TRAFFIC, get("orders-1").getState());
    forward(10);
    r = get("orders-1");
    assertEquals(RolloutState.ROLLOUT_STATE_ROLLED_BACK, r.getState());
    assertEquals("deadline", r.getDecisions(r.getDecisionsCount() - 1).getCheck());
    assertEquals(0, nextCandidateWeight());
  }

  @Test
  void tooLittleTrafficWithHoldKeepsTheWeightsPastTheDeadline() throws Exception {
    create(spec().setDeadlineAction(DeadlineAction.DEADLINE_ACTION_HOLD));
    assertEquals(5, nextCandidateWeight());
    traffic(12, 0, 0.09);
    forward(600);
    Rollout r = get("orders-1");
    assertEquals(RolloutState.ROLLOUT_STATE_WAITING_FOR_TRAFFIC, r.getState());
    assertEquals(5, r.getCandidateWeight());
    assertTrue(r.getMessage().startsWith("waiting for traffic past the progress deadline, holding v2 at 5 %"),
        r.getMessage());
    assertTrue(gateway.responses.isEmpty(), "no push: the weights did not change");
  }

  @Test
  void restartedControlPlaneContinuesTheRolloutWhereItStood() throws Exception {
    create(spec());
    assertEquals(5, nextCandidateWeight());
    traffic(400, 0, 0.09);
    forward(30);
    assertEquals(25, nextCandidateWeight());
    // Restart: the same in-memory rollout repository is handed to a new control plane.
    cleanup.remove(cleanup.size() - 1).close();
    start();
    register("orders", "v1", "i-1");
    register("orders", "v2", "i-2");
    WatchStream gw = WatchStream.open(channel, "gw-2");
    gw.send(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY).addSubscribe("orders"));
    clock.runDueTasks();
    WatchResponse first = gw.nextAcked();
    assertEquals(25, policy(first).getSubsets(1).getWeight(), "the new control plane publishes the weights in force");
    assertEquals(RolloutState.ROLLOUT_STATE_PROGRESSING, get("orders-1").getState());
    assertEquals(1, get("orders-1").getStage());
    traffic(400, 0, 0.09); // the new control plane's stats store starts empty (in memory)
    forward(30);
    assertEquals(50, get("orders-1").getCandidateWeight(), "and continues to the next stage");
  }

  @Test
  void watchRolloutStreamsChangesAndEndsAfterTheFinalState() throws Exception {
    Rollout created = create(spec());
    traffic(400, 100, 0.09);
    List<WatchRolloutResponse> seen = new CopyOnWriteArrayList<>();
    java.util.concurrent.CompletableFuture<Status> ended = new java.util.concurrent.CompletableFuture<>();
    CanaryServiceGrpc.newStub(channel).watchRollout(WatchRolloutRequest.newBuilder().setId(created.getId()).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(WatchRolloutResponse value) {
            seen.add(value);
          }

          @Override
          public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            ended.complete(Status.OK);
          }
        });
    assertEquals(1, seen.size());
    assertEquals(RolloutState.ROLLOUT_STATE_PROGRESSING, seen.get(0).getRollout().getState());
    nextCandidateWeight(); // the gateway ACKs: converged
    assertTrue(seen.get(seen.size() - 1).getRollout().getPolicyConverged());
    forward(10);
    assertFalse(ended.isDone(), "the final state waits for the gateway's ACK of the rollback");
    assertEquals(0, nextCandidateWeight());
    assertEquals(Status.OK, ended.get(5, TimeUnit.SECONDS));
    Rollout last = seen.get(seen.size() - 1).getRollout();
    assertEquals(RolloutState.ROLLOUT_STATE_ROLLED_BACK, last.getState());
    assertTrue(last.getPolicyConverged());
    Iterator<WatchRolloutResponse> finished =
        CanaryServiceGrpc.newBlockingStub(channel)
            .withInterceptors(TestDeadlines.grpc())
            .watchRollout(WatchRolloutRequest.newBuilder().setId("orders-1").build());
    assertEquals(RolloutState.ROLLOUT_STATE_ROLLED_BACK, finished.next().getRollout().getState());
    assertFalse(finished.hasNext(), "a finished rollout's watch ends after its state");
  }

  @Test
  void everyBadFieldIsReportedAndNothingChanges() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> create(RolloutSpec.newBuilder()
        .setService("Not A Name!").setStableVersion("v1").setCandidateVersion("v1")
        .addAllStageWeights(List.of(50, 20, 101))
        .setStageDuration(Duration.newBuilder().setSeconds(-1))
        .setThresholds(AnalysisThresholds.newBuilder().setMaxErrorRate(1.5).setMaxLatencyRatio(0.5)
            .setLatencyMargin(Duration.newBuilder().setSeconds(-1)).setLatencySignificance(0.7))
        .setFailureLimit(-1) // 4294967295 on the wire
        .setStrategyValue(9)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    BadRequest bad = badRequest(e);
    List<String> fields = bad.getFieldViolationsList().stream().map(BadRequest.FieldViolation::getField).toList();
    assertEquals(List.of("spec.strategy", "spec.service", "spec.candidate_version", "spec.stage_weights[1]",
        "spec.stage_weights[2]", "spec.stage_duration", "spec.thresholds.max_error_rate",
        "spec.thresholds.max_latency_ratio", "spec.thresholds.latency_margin", "spec.thresholds.latency_significance",
        "spec.failure_limit"), fields);
    assertEquals("unknown value 9", bad.getFieldViolations(0).getDescription());
    assertTrue(bad.getFieldViolations(8).getDescription().startsWith("-1s is outside [0s, 1m]"),
        bad.getFieldViolations(8).getDescription());
    assertTrue(bad.getFieldViolations(9).getDescription().startsWith("0.7 is outside (0, 0.5]"));
    assertTrue(bad.getFieldViolations(10).getDescription().startsWith("4294967295 is outside [1, 100]"));

    StatusRuntimeException weights = assertThrows(StatusRuntimeException.class,
        () -> create(spec().addAllStageWeights(List.of(50, 20, -1))));
    assertEquals(List.of("spec.stage_weights[1]", "spec.stage_weights[2]"), badRequest(weights)
        .getFieldViolationsList().stream().map(BadRequest.FieldViolation::getField).toList());
    assertTrue(badRequest(weights).getFieldViolations(1).getDescription().startsWith("4294967295 is outside 1..100"));

    StatusRuntimeException noSpec = assertThrows(StatusRuntimeException.class,
        () -> canary.createRollout(CreateRolloutRequest.getDefaultInstance()));
    assertEquals("spec", badRequest(noSpec).getFieldViolations(0).getField());
    assertEquals(0, canary.listRollouts(ListRolloutsRequest.getDefaultInstance()).getRolloutsCount());
    assertTrue(gateway.responses.isEmpty(), "nothing was pushed");
  }

  @Test
  void stateConflictsAreFailedPreconditionsAndChangeNothing() throws Exception {
    StatusRuntimeException noCandidate = assertThrows(StatusRuntimeException.class,
        () -> create(spec().setCandidateVersion("v3")));
    assertEquals(Status.Code.FAILED_PRECONDITION, noCandidate.getStatus().getCode());
    assertEquals("service orders has no SERVING instance of version v3: register one before starting a rollout",
        noCandidate.getStatus().getDescription());
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> create(spec().setService("payments")));
    assertEquals(Status.Code.FAILED_PRECONDITION, unknown.getStatus().getCode());
    create(spec());
    assertEquals(5, nextCandidateWeight());
    StatusRuntimeException second = assertThrows(StatusRuntimeException.class, () -> create(spec()));
    assertEquals(Status.Code.FAILED_PRECONDITION, second.getStatus().getCode());
    assertTrue(second.getStatus().getDescription().contains("already has an active rollout: orders-1"));
    assertEquals(1, canary.listRollouts(ListRolloutsRequest.newBuilder().setService("ORDERS").build())
        .getRolloutsCount());
    assertTrue(gateway.responses.isEmpty());
  }

  @Test
  void unknownIdsAreNotFoundAndEmptyIdsInvalid() {
    StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> get("orders-7"));
    assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
    assertEquals("no rollout 'orders-7'", missing.getStatus().getDescription());
    Iterator<WatchRolloutResponse> watch =
        CanaryServiceGrpc.newBlockingStub(channel)
            .withInterceptors(TestDeadlines.grpc()).watchRollout(WatchRolloutRequest.newBuilder().setId("x").build());
    StatusRuntimeException watchMissing = assertThrows(StatusRuntimeException.class, watch::hasNext);
    assertEquals(Status.Code.NOT_FOUND, watchMissing.getStatus().getCode());
    StatusRuntimeException empty = assertThrows(StatusRuntimeException.class,
        () -> canary.abort(AbortRequest.getDefaultInstance()));
    assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
    assertEquals("id", badRequest(empty).getFieldViolations(0).getField());
    StatusRuntimeException longReason = assertThrows(StatusRuntimeException.class,
        () -> canary.rollback(RollbackRequest.newBuilder().setId("orders-1").setReason("x".repeat(1025)).build()));
    assertEquals("reason", badRequest(longReason).getFieldViolations(0).getField());
  }

  @Test
  void listIsNewestFirstAndFilters() {
    create(spec());
    canary.abort(AbortRequest.newBuilder().setId("orders-1").build());
    forward(1);
    create(spec());
    assertEquals(List.of("orders-2", "orders-1"), canary.listRollouts(ListRolloutsRequest.getDefaultInstance())
        .getRolloutsList().stream().map(Rollout::getId).toList());
    assertEquals(List.of("orders-2"), canary.listRollouts(ListRolloutsRequest.newBuilder().setActiveOnly(true).build())
        .getRolloutsList().stream().map(Rollout::getId).toList());
    StatusRuntimeException bad = assertThrows(StatusRuntimeException.class,
        () -> canary.listRollouts(ListRolloutsRequest.newBuilder().setService("bad name").build()));
    assertEquals("service", badRequest(bad).getFieldViolations(0).getField());
  }

  static BadRequest badRequest(StatusRuntimeException e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    try {
      return s.getDetails(0).unpack(BadRequest.class);
    } catch (InvalidProtocolBufferException x) {
      throw new AssertionError(x);
    }
  }
}
