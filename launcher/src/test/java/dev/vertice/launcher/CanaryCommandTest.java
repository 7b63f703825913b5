package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import dev.vertice.api.canary.v1.AbortRequest;
import dev.vertice.api.canary.v1.AbortResponse;
import dev.vertice.api.canary.v1.CanaryServiceGrpc;
import dev.vertice.api.canary.v1.CreateRolloutRequest;
import dev.vertice.api.canary.v1.CreateRolloutResponse;
import dev.vertice.api.canary.v1.Decision;
import dev.vertice.api.canary.v1.DecisionKind;
import dev.vertice.api.canary.v1.GetRolloutRequest;
import dev.vertice.api.canary.v1.GetRolloutResponse;
import dev.vertice.api.canary.v1.ListRolloutsRequest;
import dev.vertice.api.canary.v1.ListRolloutsResponse;
import dev.vertice.api.canary.v1.PauseRequest;
import dev.vertice.api.canary.v1.PauseResponse;
import dev.vertice.api.canary.v1.PromoteRequest;
import dev.vertice.api.canary.v1.PromoteResponse;
import dev.vertice.api.canary.v1.RollbackRequest;
import dev.vertice.api.canary.v1.RollbackResponse;
import dev.vertice.api.canary.v1.Rollout;
import dev.vertice.api.canary.v1.RolloutState;
import dev.vertice.api.canary.v1.Strategy;
import dev.vertice.api.canary.v1.WatchRolloutRequest;
import dev.vertice.api.canary.v1.WatchRolloutResponse;
import dev.vertice.api.canary.v1.WindowStats;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code vertice canary} against a CanaryService on a real loopback port: a small fake that keeps
 * rollouts in a map and scripts what the real controller only produces under live traffic
 * (analysed windows, a watch stream through several stages), so the rendering and the exit codes
 * are checked exactly. {@link CanaryCommandControlPlaneTest} runs the commands against the real
 * control plane.
 */
class CanaryCommandTest {

  /** A CanaryService keeping rollouts in a map; {@code watch} streams a scripted list of states. */
  static final class FakeCanaryService extends CanaryServiceGrpc.CanaryServiceImplBase {
    final Map<String, Rollout> rollouts = new ConcurrentHashMap<>();
    final AtomicReference<CreateRolloutRequest> lastCreate = new AtomicReference<>();
    volatile List<Rollout> watchStates = List.of();

    @Override
    public void createRollout(CreateRolloutRequest request, StreamObserver<CreateRolloutResponse> response) {
      lastCreate.set(request);
      if (request.getSpec().getCandidateVersion().equals(request.getSpec().getStableVersion())) {
        response.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
            .setCode(Code.INVALID_ARGUMENT_VALUE).setMessage("invalid request")
            .addDetails(com.google.protobuf.Any.pack(BadRequest.newBuilder().addFieldViolations(
                BadRequest.FieldViolation.newBuilder().setField("spec.candidate_version")
                    .setDescription("equals the stable version 'v1'")).build()))
            .build()));
        return;
      }
      Rollout r = Rollout.newBuilder().setId(request.getSpec().getService() + "-1").setSpec(request.getSpec())
          .setState(RolloutState.ROLLOUT_STATE_PROGRESSING).setCandidateWeight(5).setStage(0)
          .setStageStartedAt(Timestamps.fromMillis(1_000_000)).build();
      rollouts.put(r.getId(), r);
      response.onNext(CreateRolloutResponse.newBuilder().setRollout(r).build());
      response.onCompleted();
    }

    private Rollout find(String id, StreamObserver<?> response) {
      Rollout r = rollouts.get(id);
      if (r == null) {
        response.onError(Status.NOT_FOUND.withDescription("no rollout '" + id + "'").asRuntimeException());
      }
      return r;
    }

    private Rollout change(String id, RolloutState state, int weight, StreamObserver<?> response) {
      Rollout r = find(id, response);
      if (r == null) {
        return null;
      }
      Rollout changed = r.toBuilder().setState(state).setCandidateWeight(weight).build();
      rollouts.put(id, changed);
      return changed;
    }

    @Override
    public void getRollout(GetRolloutRequest request, StreamObserver<GetRolloutResponse> response) {
      Rollout r = find(request.getId(), response);
      if (r != null) {
        response.onNext(GetRolloutResponse.newBuilder().setRollout(r).build());
        response.onCompleted();
      }
    }

    @Override
    public void listRollouts(ListRolloutsRequest request, StreamObserver<ListRolloutsResponse> response) {
      response.onNext(ListRolloutsResponse.newBuilder().addAllRollouts(rollouts.values()).build());
      response.onCompleted();
    }

    @Override
    public void promote(PromoteRequest request, StreamObserver<PromoteResponse> response) {
      Rollout r = change(request.getId(), request.getFull() ? RolloutState.ROLLOUT_STATE_PROMOTED
          : RolloutState.ROLLOUT_STATE_PROGRESSING, request.getFull() ? 100 : 25, response);
      if (r != null) {
        response.onNext(PromoteResponse.newBuilder().setRollout(r).build());
        response.onCompleted();
      }
    }

    @Override
    public void rollback(RollbackRequest request, StreamObserver<RollbackResponse> response) {
      Rollout r = change(request.getId(), RolloutState.ROLLOUT_STATE_ROLLED_BACK, 0, response);
      if (r != null) {
        response.onNext(RollbackResponse.newBuilder().setRollout(r.toBuilder().setMessage("rolled back: "
            + request.getReason())).build());
        response.onCompleted();
      }
    }

    @Override
    public void pause(PauseRequest request, StreamObserver<PauseResponse> response) {
      Rollout r = change(request.getId(), RolloutState.ROLLOUT_STATE_PAUSED, 5, response);
      if (r != null) {
        response.onNext(PauseResponse.newBuilder().setRollout(r).build());
        response.onCompleted();
      }
    }

    @Override
    public void resume(dev.vertice.api.canary.v1.ResumeRequest request,
        StreamObserver<dev.vertice.api.canary.v1.ResumeResponse> response) {
      Rollout r = change(request.getId(), RolloutState.ROLLOUT_STATE_PROGRESSING, 5, response);
      if (r != null) {
        response.onNext(dev.vertice.api.canary.v1.ResumeResponse.newBuilder().setRollout(r).build());
        response.onCompleted();
      }
    }

    @Override
    public void abort(AbortRequest request, StreamObserver<AbortResponse> response) {
      Rollout r = change(request.getId(), RolloutState.ROLLOUT_STATE_ABORTED, 0, response);
      if (r != null) {
        response.onNext(AbortResponse.newBuilder().setRollout(r).build());
        response.onCompleted();
      }
    }

    @Override
    public void watchRollout(WatchRolloutRequest request, StreamObserver<WatchRolloutResponse> response) {
      if (find(request.getId(), response) == null) {
        return;
      }
      for (Rollout r : watchStates) {
        response.onNext(WatchRolloutResponse.newBuilder().setRollout(r).build());
      }
      response.onCompleted();
    }
  }

  private final FakeCanaryService service = new FakeCanaryService();
  private Server server;
  private String address;

  @BeforeEach
  void setUp() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    address = "127.0.0.1:" + ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private record Result(int code, String out, String err) {}

  private Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Result(code, out.toString(), err.toString());
  }

  private Result canary(String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "canary";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--control-plane";
    all[args.length + 2] = address;
    return run(all);
  }

  static Rollout analysed(RolloutState state, int weight) {
    return Rollout.newBuilder().setId("shop-1").setState(state).setCandidateWeight(weight).setStage(1)
        .setSpec(dev.vertice.api.canary.v1.RolloutSpec.newBuilder().setService("shop").setStableVersion("v1")
            .setCandidateVersion("v2").setStrategy(Strategy.STRATEGY_CANARY)
            .setStageDuration(Durations.fromSeconds(30)).setAnalysisInterval(Durations.fromSeconds(5)))
        .setStageStartedAt(Timestamps.fromMillis(1_000_000)).setPolicyConverged(true)
        .addDecisions(Decision.newBuilder().setAt(Timestamps.fromMillis(1_010_000)).setKind(DecisionKind.DECISION_KIND_HOLD)
            .setStage(1).setReason("checks passed; stage too young")
            .setStable(WindowStats.newBuilder().setRequests(1520).setErrors(3).setErrorRate(3 / 1520.0)
                .setP99Seconds(0.041))
            .setCandidate(WindowStats.newBuilder().setRequests(480).setErrors(2).setErrorRate(2 / 480.0)
                .setP99Seconds(0.0455)))
        .build();
  }

  @Test
  void startSendsTheSpecBuiltFromTheFlagsAndPrintsTheRollout() {
    Result r = canary("start", "--service", "shop", "--stable", "v1", "--candidate", "v2", "--stages", "10,50,100",
        "--stage-duration", "30s", "--analysis-interval", "500ms", "--max-error-rate", "0.02",
        "--max-latency-ratio", "2", "--min-requests", "50", "--latency-margin", "20ms", "--latency-significance",
        "0.05", "--failure-limit", "2", "--progress-deadline", "5m", "--on-deadline", "hold");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("started shop-1"), r.out());
    var spec = service.lastCreate.get().getSpec();
    assertEquals(List.of(10, 50, 100), spec.getStageWeightsList());
    assertEquals(30_000, Durations.toMillis(spec.getStageDuration()));
    assertEquals(500, Durations.toMillis(spec.getAnalysisInterval()));
    assertEquals(0.02, spec.getThresholds().getMaxErrorRate());
    assertEquals(2.0, spec.getThresholds().getMaxLatencyRatio());
    assertEquals(50, spec.getThresholds().getMinRequests());
    assertEquals(20, Durations.toMillis(spec.getThresholds().getLatencyMargin()));
    assertEquals(0.05, spec.getThresholds().getLatencySignificance());
    assertEquals(2, spec.getFailureLimit());
    assertEquals(300_000, Durations.toMillis(spec.getProgressDeadline()));
    assertEquals(dev.vertice.api.canary.v1.DeadlineAction.DEADLINE_ACTION_HOLD, spec.getDeadlineAction());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--stages|5,3,100|--stages",
    "--stages|5,25|--stages",
    "--stages|5,x,100|--stages",
    "--max-error-rate|2|--max-error-rate",
    "--max-latency-ratio|0|--max-latency-ratio",
    "--min-requests|0|--min-requests",
    "--latency-margin|61s|--latency-margin",
    "--latency-margin|-5ms|--latency-margin",
    "--latency-significance|0|--latency-significance",
    "--latency-significance|0.6|--latency-significance",
    "--failure-limit|0|--failure-limit",
    "--stage-duration|5x|--stage-duration",
    "--strategy|linear|--strategy",
    "--on-deadline|wait|--on-deadline",
    "--control-plane|no-port|--control-plane",
  })
  void badInputExitsWithTwoNamingTheSetting(String option, String value, String named) {
    Result r = run("canary", "start", "--service", "shop", "--stable", "v1", "--candidate", "v2",
        "--control-plane", option.equals("--control-plane") ? value : address, option, value);
    assertEquals(2, r.code(), r.out() + r.err());
    assertTrue(r.err().contains(named), r.err());
    if (!option.equals("--control-plane")) {
      assertEquals(null, service.lastCreate.get(), "nothing was sent");
    }
  }

  @Test
  void aFieldTheServerRejectsIsReportedAsItsOptionWithExitTwo() {
    Result r = canary("start", "--service", "shop", "--stable", "v1", "--candidate", "v1");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("invalid --candidate: equals the stable version 'v1'"), r.err());
    assertEquals("--stages (spec.stage_weights[2])", CanaryCommand.option("spec.stage_weights[2]"));
  }

  @Test
  void anUnknownRolloutAndAnUnreachableControlPlaneExitWithOne() throws Exception {
    Result r = canary("status", "shop-9");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("NOT_FOUND: no rollout 'shop-9'"), r.err());
    String was = address;
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    Result down = run("canary", "list", "--control-plane", was, "--timeout", "2s");
    assertEquals(1, down.code());
    assertTrue(down.err().contains("cannot reach the control plane at " + was), down.err());
  }

  @Test
  void statusShowsStageWeightsBothVersionsAndWhatComesNext() {
    service.rollouts.put("shop-1", analysed(RolloutState.ROLLOUT_STATE_PROGRESSING, 25));
    Result r = canary("status", "shop-1");
    assertEquals(0, r.code(), r.err());
    String out = r.out();
    assertTrue(out.contains("PROGRESSING   stage 2/4 (target 25 %)   policy ACKed by every subscriber"), out);
    assertTrue(out.contains("v1 75 %   v2 25 %"), out);
    assertTrue(out.contains("stable    v1           1520 req    0.20 % errors  p99 41.0 ms"), out);
    assertTrue(out.contains("candidate v2            480 req    0.42 % errors  p99 45.5 ms"), out);
    assertTrue(out.contains("HOLD at 00:16:50: checks passed; stage too young"), out);
    assertTrue(out.contains("next      analysis at"), out);
  }

  @Test
  void statusWatchShowsEveryStateUntilTheStreamEnds() {
    service.rollouts.put("shop-1", analysed(RolloutState.ROLLOUT_STATE_PROGRESSING, 5));
    service.watchStates = List.of(analysed(RolloutState.ROLLOUT_STATE_PROGRESSING, 5),
        analysed(RolloutState.ROLLOUT_STATE_PROGRESSING, 25), analysed(RolloutState.ROLLOUT_STATE_ROLLED_BACK, 0));
    Result r = canary("status", "shop-1", "--watch");
    assertEquals(0, r.code(), r.err());
    assertEquals(3, r.out().split("---", -1).length - 1, r.out());
    int five = r.out().indexOf("v2 5 %");
    int twentyFive = r.out().indexOf("v2 25 %");
    int back = r.out().indexOf("ROLLED_BACK");
    assertTrue(five >= 0 && five < twentyFive && twentyFive < back, r.out());
    assertTrue(r.out().contains("nothing: the rollout is over"), r.out());
  }

  @Test
  void operatorCommandsReachTheService() {
    service.rollouts.put("shop-1", analysed(RolloutState.ROLLOUT_STATE_PROGRESSING, 5));
    assertTrue(canary("pause", "shop-1").out().contains("PAUSED"));
    assertEquals(RolloutState.ROLLOUT_STATE_PAUSED, service.rollouts.get("shop-1").getState());
    assertTrue(canary("resume", "shop-1").out().contains("PROGRESSING"));
    assertTrue(canary("promote", "shop-1").out().contains("v2 25 %"));
    assertTrue(canary("promote", "shop-1", "--full").out().contains("PROMOTED"));
    assertTrue(canary("rollback", "shop-1", "--reason", "p99 too high").out().contains("rolled back: p99 too high"));
    assertTrue(canary("abort", "shop-1").out().contains("ABORTED"));
    Result list = canary("list");
    assertEquals(0, list.code());
    assertTrue(list.out().contains("shop-1") && list.out().contains("ABORTED"), list.out());
  }

  @Test
  void rolloutViewSaysWhatAWaitingRolloutNeeds() {
    Rollout waiting = analysed(RolloutState.ROLLOUT_STATE_WAITING_FOR_TRAFFIC, 5);
    String view = RolloutView.render(waiting, Instant.ofEpochMilli(1_012_000));
    assertTrue(view.contains("the candidate needs 100 requests in the stage; at 00:26:40 (progress deadline) it"
        + " rolls back"), view);
    assertTrue(view.contains("analysis at 00:16:55"), view);
  }
}
