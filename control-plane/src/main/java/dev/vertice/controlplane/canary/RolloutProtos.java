package dev.vertice.controlplane.canary;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import dev.vertice.api.canary.v1.AnalysisThresholds;
import dev.vertice.api.canary.v1.DecisionKind;
import dev.vertice.api.canary.v1.DeadlineAction;
import dev.vertice.api.canary.v1.RolloutState;
import dev.vertice.api.canary.v1.Strategy;
import dev.vertice.canary.Decision;
import dev.vertice.canary.LatencyBuckets;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.canary.Violation;
import dev.vertice.canary.WindowStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code RolloutProtos} maps between the API messages of {@code vertice.canary.v1} and the model of
 * {@code dev.vertice.canary}, which knows nothing of protobuf. Also the persisted form of a rollout.
 */
public final class RolloutProtos {

  private RolloutProtos() {}

  /**
   * Reads a spec as given on the wire into a draft, applying the API's "0 or unset means the
   * default" rule. Fields whose wire value cannot be read (unknown enum values, malformed
   * durations) are reported in {@code violations}, with field names relative to the spec.
   */
  public static RolloutSpec.Draft draft(dev.vertice.api.canary.v1.RolloutSpec in, List<Violation> violations) {
    RolloutSpec.Draft d = RolloutSpec.draft()
        .service(in.getService())
        .stableVersion(in.getStableVersion())
        .candidateVersion(in.getCandidateVersion());
    switch (in.getStrategy()) {
      case STRATEGY_CANARY -> d.strategy(dev.vertice.canary.Strategy.CANARY);
      case STRATEGY_BLUE_GREEN -> d.strategy(dev.vertice.canary.Strategy.BLUE_GREEN);
      case STRATEGY_UNSPECIFIED -> { }
      default -> violations.add(new Violation("strategy", "unknown value " + in.getStrategyValue()));
    }
    if (in.getStageWeightsCount() > 0) {
      List<Long> weights = new ArrayList<>(in.getStageWeightsCount());
      for (int w : in.getStageWeightsList()) {
        weights.add(Integer.toUnsignedLong(w)); // uint32: 2^31 and above are not negatives
      }
      d.stageWeights(weights);
    }
    if (in.hasStageDuration()) {
      d.stageDuration(duration("stage_duration", in.getStageDuration(), violations));
    }
    if (in.hasAnalysisInterval()) {
      d.analysisInterval(duration("analysis_interval", in.getAnalysisInterval(), violations));
    }
    if (in.hasProgressDeadline()) {
      d.progressDeadline(duration("progress_deadline", in.getProgressDeadline(), violations));
    }
    AnalysisThresholds t = in.getThresholds();
    if (t.getMaxErrorRate() != 0) {
      d.maxErrorRate(t.getMaxErrorRate());
    }
    if (t.getMaxLatencyRatio() != 0) {
      d.maxLatencyRatio(t.getMaxLatencyRatio());
    }
    if (t.getMinRequests() != 0) {
      // uint64: values of 2^63 and above read as negatives; any of them is far above the limit.
      d.minRequests(t.getMinRequests() < 0 ? Long.MAX_VALUE : t.getMinRequests());
    }
    if (t.hasLatencyMargin()) {
      d.latencyMargin(duration("thresholds.latency_margin", t.getLatencyMargin(), violations));
    }
    if (t.getLatencySignificance() != 0) {
      d.latencySignificance(t.getLatencySignificance());
    }
    if (in.getFailureLimit() != 0) {
      d.failureLimit(Integer.toUnsignedLong(in.getFailureLimit()));
    }
    switch (in.getDeadlineAction()) {
      case DEADLINE_ACTION_ROLLBACK -> d.deadlineAction(dev.vertice.canary.DeadlineAction.ROLLBACK);
      case DEADLINE_ACTION_HOLD -> d.deadlineAction(dev.vertice.canary.DeadlineAction.HOLD);
      case DEADLINE_ACTION_UNSPECIFIED -> { }
      default -> violations.add(new Violation("deadline_action", "unknown value " + in.getDeadlineActionValue()));
    }
    return d;
  }

  private static Duration duration(String field, com.google.protobuf.Duration d, List<Violation> violations) {
    if (!Durations.isValid(d)) {
      violations.add(new Violation(field, "is not a valid duration (seconds and nanos of one sign, nanos below 1e9)"));
      return null;
    }
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  /** Returns the spec with every default filled in. */
  public static dev.vertice.api.canary.v1.RolloutSpec toProto(RolloutSpec s) {
    return dev.vertice.api.canary.v1.RolloutSpec.newBuilder()
        .setService(s.service())
        .setStableVersion(s.stableVersion())
        .setCandidateVersion(s.candidateVersion())
        .setStrategy(s.strategy() == dev.vertice.canary.Strategy.BLUE_GREEN ? Strategy.STRATEGY_BLUE_GREEN
            : Strategy.STRATEGY_CANARY)
        .addAllStageWeights(s.stageWeights())
        .setStageDuration(toProto(s.stageDuration()))
        .setAnalysisInterval(toProto(s.analysisInterval()))
        .setThresholds(AnalysisThresholds.newBuilder()
            .setMaxErrorRate(s.thresholds().maxErrorRate())
            .setMaxLatencyRatio(s.thresholds().maxLatencyRatio())
            .setMinRequests(s.thresholds().minRequests())
            .setLatencyMargin(toProto(s.thresholds().latencyMargin()))
            .setLatencySignificance(s.thresholds().latencySignificance()))
        .setFailureLimit(s.failureLimit())
        .setProgressDeadline(toProto(s.progressDeadline()))
        .setDeadlineAction(s.deadlineAction() == dev.vertice.canary.DeadlineAction.HOLD
            ? DeadlineAction.DEADLINE_ACTION_HOLD : DeadlineAction.DEADLINE_ACTION_ROLLBACK)
        .build();
  }

  /** Returns the rollout as the API shows it. */
  public static dev.vertice.api.canary.v1.Rollout toProto(Rollout r) {
    dev.vertice.api.canary.v1.Rollout.Builder b = dev.vertice.api.canary.v1.Rollout.newBuilder()
        .setId(r.id())
        .setSpec(toProto(r.spec()))
        .setState(toProto(r.state()))
        .setStage(r.stage())
        .setCandidateWeight(r.candidateWeight())
        .setCreatedAt(toProto(r.createdAt()))
        .setStageStartedAt(toProto(r.stageStartedAt()))
        .setUpdatedAt(toProto(r.updatedAt()))
        .setMessage(r.message())
        .setPolicyConverged(r.policyConverged())
        .setFailedChecks(r.failedChecks());
    for (Decision d : r.decisions()) {
      b.addDecisions(toProto(d));
    }
    return b.build();
  }

  /**
   * Reads a rollout back from its API form (as persisted).
   *
   * @throws IllegalArgumentException when the message does not hold a valid rollout
   */
  public static Rollout fromProto(dev.vertice.api.canary.v1.Rollout p) {
    List<Violation> violations = new ArrayList<>();
    RolloutSpec.Draft draft = draft(p.getSpec(), violations);
    if (!violations.isEmpty()) {
      throw new IllegalArgumentException("stored rollout " + p.getId() + " has a bad spec: " + violations);
    }
    RolloutSpec spec = draft.validate().orThrow();
    List<Decision> decisions = new ArrayList<>(p.getDecisionsCount());
    for (dev.vertice.api.canary.v1.Decision d : p.getDecisionsList()) {
      decisions.add(new Decision(fromProto(d.getAt()), fromProto(d.getKind()), d.getStage(), d.getCheck(),
          fromProto(d.getStable()), fromProto(d.getCandidate()), d.getReason()));
    }
    return new Rollout(p.getId(), spec, fromProto(p.getState()), p.getStage(), p.getCandidateWeight(),
        fromProto(p.getCreatedAt()), fromProto(p.getStageStartedAt()), fromProto(p.getUpdatedAt()), p.getMessage(),
        decisions, p.getPolicyConverged(), p.getFailedChecks());
  }

  static dev.vertice.api.canary.v1.Decision toProto(Decision d) {
    return dev.vertice.api.canary.v1.Decision.newBuilder()
        .setAt(toProto(d.at()))
        .setKind(toProto(d.kind()))
        .setStage(d.stage())
        .setCheck(d.check())
        .setStable(toProto(d.stable()))
        .setCandidate(toProto(d.candidate()))
        .setReason(d.reason())
        .build();
  }

  static dev.vertice.api.canary.v1.WindowStats toProto(WindowStats w) {
    return dev.vertice.api.canary.v1.WindowStats.newBuilder()
        .setRequests(w.requests())
        .setErrors(w.errors())
        .setErrorRate(w.errorRate())
        .setP99Seconds(w.p99Seconds())
        .addAllLatencyBoundsSeconds(w.latency().boundsSeconds())
        .addAllLatencyCounts(w.latency().counts())
        .build();
  }

  static WindowStats fromProto(dev.vertice.api.canary.v1.WindowStats w) {
    return new WindowStats(w.getRequests(), w.getErrors(), w.getP99Seconds(),
        new LatencyBuckets(w.getLatencyBoundsSecondsList(), w.getLatencyCountsList()));
  }

  /** Maps a state. */
  public static RolloutState toProto(dev.vertice.canary.RolloutState s) {
    return switch (s) {
      case PENDING -> RolloutState.ROLLOUT_STATE_PENDING;
      case PROGRESSING -> RolloutState.ROLLOUT_STATE_PROGRESSING;
      case PAUSED -> RolloutState.ROLLOUT_STATE_PAUSED;
      case WAITING_FOR_TRAFFIC -> RolloutState.ROLLOUT_STATE_WAITING_FOR_TRAFFIC;
      case PROMOTED -> RolloutState.ROLLOUT_STATE_PROMOTED;
      case ROLLED_BACK -> RolloutState.ROLLOUT_STATE_ROLLED_BACK;
      case ABORTED -> RolloutState.ROLLOUT_STATE_ABORTED;
    };
  }

  static dev.vertice.canary.RolloutState fromProto(RolloutState s) {
    return switch (s) {
      case ROLLOUT_STATE_PENDING -> dev.vertice.canary.RolloutState.PENDING;
      case ROLLOUT_STATE_PROGRESSING -> dev.vertice.canary.RolloutState.PROGRESSING;
      case ROLLOUT_STATE_PAUSED -> dev.vertice.canary.RolloutState.PAUSED;
      case ROLLOUT_STATE_WAITING_FOR_TRAFFIC -> dev.vertice.canary.RolloutState.WAITING_FOR_TRAFFIC;
      case ROLLOUT_STATE_PROMOTED -> dev.vertice.canary.RolloutState.PROMOTED;
      case ROLLOUT_STATE_ROLLED_BACK -> dev.vertice.canary.RolloutState.ROLLED_BACK;
      case ROLLOUT_STATE_ABORTED -> dev.vertice.canary.RolloutState.ABORTED;
      default -> throw new IllegalArgumentException("rollout state " + s + " cannot be stored");
    };
  }

  static DecisionKind toProto(dev.vertice.canary.DecisionKind k) {
    return switch (k) {
      case PROMOTE -> DecisionKind.DECISION_KIND_PROMOTE;
      case HOLD -> DecisionKind.DECISION_KIND_HOLD;
      case WAIT -> DecisionKind.DECISION_KIND_WAIT;
      case FAIL -> DecisionKind.DECISION_KIND_FAIL;
      case ROLLBACK -> DecisionKind.DECISION_KIND_ROLLBACK;
    };
  }

  static dev.vertice.canary.DecisionKind fromProto(DecisionKind k) {
    return switch (k) {
      case DECISION_KIND_PROMOTE -> dev.vertice.canary.DecisionKind.PROMOTE;
      case DECISION_KIND_HOLD -> dev.vertice.canary.DecisionKind.HOLD;
      case DECISION_KIND_WAIT -> dev.vertice.canary.DecisionKind.WAIT;
      case DECISION_KIND_FAIL -> dev.vertice.canary.DecisionKind.FAIL;
      case DECISION_KIND_ROLLBACK -> dev.vertice.canary.DecisionKind.ROLLBACK;
      default -> throw new IllegalArgumentException("decision kind " + k + " cannot be stored");
    };
  }

  static Timestamp toProto(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  static Instant fromProto(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  static com.google.protobuf.Duration toProto(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

}
