package dev.vertice.canary;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code Rollout} is one rollout's full state, and its state machine: every transition returns a new
 * value and leaves this one unchanged. Time is passed in and stats are passed in; nothing here reads
 * a clock or does I/O.
 *
 * <pre>
 *  PENDING --start--&gt; PROGRESSING(0) --analyse: passed, stage long enough--&gt; PROGRESSING(1) ... --&gt; PROMOTED
 *                       |  ^   analyse: too few requests --&gt; WAITING_FOR_TRAFFIC (deadline: rollback | hold)
 *                       |  |   analyse: failed check (failure limit reached) --&gt; ROLLED_BACK
 *                  pause|  |resume
 *                       v  |
 *                      PAUSED          any active state --rollback--&gt; ROLLED_BACK, --abort--&gt; ABORTED
 * </pre>
 *
 * <p>The stage window, whose stats an analysis judges, runs from {@link #stageStartedAt()} to now:
 * a new stage, and a resume, start a new window. Candidate weight is a percentage; the stable
 * version has the rest.
 *
 * @param id rollout id
 * @param spec the validated spec
 * @param state where it stands
 * @param stage index of the current stage in {@code spec.stageWeights()}
 * @param candidateWeight candidate weight now in force, 0-100
 * @param createdAt when it was created
 * @param stageStartedAt when the current stage (or its window, after a resume) started
 * @param updatedAt when it last changed
 * @param message where it stands and what happens next, in a sentence
 * @param decisions the latest decisions, oldest first, at most {@link #MAX_DECISIONS}
 * @param policyConverged whether every data-plane subscriber acknowledged the weights in force
 * @param failedChecks failed checks in the current stage
 */
public record Rollout(String id, RolloutSpec spec, RolloutState state, int stage, int candidateWeight,
    Instant createdAt, Instant stageStartedAt, Instant updatedAt, String message, List<Decision> decisions,
    boolean policyConverged, int failedChecks) {

  /** Most decisions kept; older ones are dropped. */
  public static final int MAX_DECISIONS = 100;

  /** Checks the invariants. */
  public Rollout {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(stageStartedAt, "stageStartedAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    Objects.requireNonNull(message, "message");
    decisions = List.copyOf(decisions);
    if (stage < 0 || stage >= spec.stages()) {
      throw new IllegalArgumentException("stage " + stage + " outside 0.." + (spec.stages() - 1));
    }
    if (candidateWeight < 0 || candidateWeight > 100) {
      throw new IllegalArgumentException("candidate weight outside 0..100: " + candidateWeight);
    }
    if (failedChecks < 0) {
      throw new IllegalArgumentException("failed checks negative: " + failedChecks);
    }
  }

  /** Creates a PENDING rollout: no weight pushed yet, the stable version keeps all traffic. */
  public static Rollout create(String id, RolloutSpec spec, Instant now) {
    return new Rollout(id, spec, RolloutState.PENDING, 0, 0, now, now, now,
        "created; " + spec.candidateVersion() + " is about to get " + spec.weight(0) + " % of " + spec.service(),
        List.of(), false, 0);
  }

  /** Returns the stable version's weight: 100 minus the candidate's. */
  public int stableWeight() {
    return 100 - candidateWeight;
  }

  /** Returns whether the rollout still moves. */
  public boolean isActive() {
    return state.isActive();
  }

  /** Returns the newest decision, or null before the first. */
  public Decision lastDecision() {
    return decisions.isEmpty() ? null : decisions.get(decisions.size() - 1);
  }

  /** Returns when the current stage reaches its progress deadline. */
  public Instant deadline() {
    return stageStartedAt.plus(spec.progressDeadline());
  }

  /** Returns when the current stage has lasted its minimum duration. */
  public Instant stageDurationEnds() {
    return stageStartedAt.plus(spec.stageDuration());
  }

  /**
   * Returns the stable window to judge the candidate's latency against when the stable window of the
   * stage holds fewer than the minimum requests (at a 100 % stage it holds none): the one in the
   * newest decision whose stable stats reach the minimum.
   */
  public Optional<WindowStats> stableBaseline() {
    for (int i = decisions.size() - 1; i >= 0; i--) {
      WindowStats s = decisions.get(i).stable();
      if (s.requests() >= spec.thresholds().minRequests()) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /** Returns a copy with the convergence flag set. */
  public Rollout withPolicyConverged(boolean converged) {
    return converged == policyConverged ? this
        : new Rollout(id, spec, state, stage, candidateWeight, createdAt, stageStartedAt, updatedAt, message,
            decisions, converged, failedChecks);
  }

  /**
   * Starts a PENDING rollout: its first stage's weights are in force from {@code now}.
   *
   * @param stableBefore the stable version's stats over the window just before the start: the
   *     latency baseline for a first stage at 100 % (blue/green)
   * @param candidateBefore the candidate's stats over the same window
   */
  public Rollout start(Instant now, WindowStats stableBefore, WindowStats candidateBefore) {
    if (state != RolloutState.PENDING) {
      throw new RolloutStateException("rollout " + id + " is " + state + ", not PENDING: it has started already");
    }
    int w = spec.weight(0);
    String reason = "started: " + weights(w) + "; before the start the stable version had "
        + stableBefore.describe();
    return next(now, RolloutState.PROGRESSING, 0, w, now, 0,
        new Decision(now, DecisionKind.PROMOTE, 0, "", stableBefore, candidateBefore, reason),
        inStageMessage(0, w, now) + "; first analysis within " + RolloutSpec.format(spec.analysisInterval()));
  }

  /**
   * Analyses the stage window that ends at {@code now} and moves the rollout on: next stage or
   * promoted, hold, wait for traffic, count a failure, or roll back.
   *
   * @throws RolloutStateException unless PROGRESSING or WAITING_FOR_TRAFFIC
   */
  public Rollout analyse(Instant now, WindowStats stable, WindowStats candidate) {
    if (!state.isAnalysed()) {
      throw new RolloutStateException("rollout " + id + " is " + state + ": only PROGRESSING and"
          + " WAITING_FOR_TRAFFIC rollouts are analysed");
    }
    Analysis.Verdict v = Analysis.judge(spec.thresholds(), stable, candidate, stableBaseline());
    Duration inStage = Duration.between(stageStartedAt, now);
    boolean pastDeadline = !now.isBefore(deadline());
    String at = "stage " + (stage + 1) + "/" + spec.stages() + " (" + weights(candidateWeight) + "), "
        + RolloutSpec.format(inStage.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)) + " in: ";
    switch (v.outcome()) {
      case PASSED -> {
        if (inStage.compareTo(spec.stageDuration()) >= 0) {
          return promoteStage(now, new Decision(now, DecisionKind.PROMOTE, stage, "", stable, candidate,
              at + "checks passed: " + v.findings()));
        }
        Decision d = new Decision(now, DecisionKind.HOLD, stage, "", stable, candidate,
            at + "checks passed: " + v.findings() + "; the stage lasts at least "
                + RolloutSpec.format(spec.stageDuration()));
        return next(now, RolloutState.PROGRESSING, stage, candidateWeight, stageStartedAt, failedChecks, d,
            "stage " + (stage + 1) + "/" + spec.stages() + ": checks pass; next stage at " + stageDurationEnds()
                + " if they still do");
      }
      case FAILED -> {
        int failed = failedChecks + 1;
        if (failed >= spec.failureLimit()) {
          String reason = at + "rolled back on the " + v.check() + " check (failure " + failed + " of "
              + spec.failureLimit() + " allowed): " + v.findings();
          return end(now, RolloutState.ROLLED_BACK, 0, failed,
              new Decision(now, DecisionKind.ROLLBACK, stage, v.check(), stable, candidate, reason),
              "rolled back: " + reason);
        }
        if (pastDeadline && spec.deadlineAction() == DeadlineAction.ROLLBACK) {
          return deadlineRollback(now, stable, candidate, at, "the " + v.check() + " check failed: " + v.findings());
        }
        Decision d = new Decision(now, DecisionKind.FAIL, stage, v.check(), stable, candidate,
            at + "the " + v.check() + " check failed (failure " + failed + " of " + spec.failureLimit()
                + " allowed before a rollback): " + v.findings());
        return next(now, RolloutState.PROGRESSING, stage, candidateWeight, stageStartedAt, failed, d,
            "stage " + (stage + 1) + "/" + spec.stages() + ": the " + v.check() + " check failed " + failed
                + " time(s); " + (spec.failureLimit() - failed) + " more failure(s) roll back");
      }
      default -> {
        if (pastDeadline && spec.deadlineAction() == DeadlineAction.ROLLBACK) {
          return deadlineRollback(now, stable, candidate, at, v.findings());
        }
        if (pastDeadline) {
          Decision d = new Decision(now, DecisionKind.WAIT, stage, Decision.CHECK_DEADLINE, stable, candidate,
              at + v.findings() + "; the progress deadline " + deadline() + " has passed and the deadline"
                  + " action is hold: weights stay as they are");
          return next(now, RolloutState.WAITING_FOR_TRAFFIC, stage, candidateWeight, stageStartedAt, failedChecks, d,
              "waiting for traffic past the progress deadline, holding " + weights(candidateWeight) + ": "
                  + v.findings() + "; promote, roll back or abort by hand, or send traffic");
        }
        Decision d = new Decision(now, DecisionKind.WAIT, stage, Decision.CHECK_MIN_REQUESTS, stable, candidate,
            at + v.findings());
        return next(now, RolloutState.WAITING_FOR_TRAFFIC, stage, candidateWeight, stageStartedAt, failedChecks, d,
            "waiting for traffic: " + v.findings() + "; at the progress deadline " + deadline() + " the rollout "
                + (spec.deadlineAction() == DeadlineAction.ROLLBACK ? "rolls back" : "holds its weights"));
      }
    }
  }

  /**
   * Promotes by hand: to the next stage now, skipping analysis, or with {@code full} straight to 100 %
   * and PROMOTED. A paused rollout stays paused at the new weights.
   *
   * @throws RolloutStateException unless PROGRESSING, WAITING_FOR_TRAFFIC or PAUSED
   */
  public Rollout promote(Instant now, boolean full) {
    if (!state.isAnalysed() && state != RolloutState.PAUSED) {
      throw new RolloutStateException(cannot("promote"));
    }
    WindowStats none = WindowStats.EMPTY;
    if (full || stage + 1 >= spec.stages()) {
      Decision d = new Decision(now, DecisionKind.PROMOTE, stage, Decision.CHECK_MANUAL, none, none,
          "promoted to 100 % by an operator" + (full ? " (full promotion)" : " from the last stage"));
      return end(now, RolloutState.PROMOTED, 100, failedChecks, d, promotedMessage() + " by an operator");
    }
    Decision d = new Decision(now, DecisionKind.PROMOTE, stage, Decision.CHECK_MANUAL, none, none,
        "promoted by an operator from stage " + (stage + 1) + " (" + candidateWeight + " %) to stage "
            + (stage + 2) + " (" + spec.weight(stage + 1) + " %), analysis skipped");
    int w = spec.weight(stage + 1);
    if (state == RolloutState.PAUSED) {
      return next(now, RolloutState.PAUSED, stage + 1, w, now, 0, d,
          "paused at stage " + (stage + 2) + "/" + spec.stages() + " (" + weights(w)
              + ") after a manual promotion; resume to analyse it");
    }
    return next(now, RolloutState.PROGRESSING, stage + 1, w, now, 0, d, inStageMessage(stage + 1, w, now));
  }

  /**
   * Rolls back by hand: the candidate to 0 %, ROLLED_BACK.
   *
   * @param reason the operator's reason, recorded in the decision; may be empty
   * @throws RolloutStateException when the rollout has ended
   */
  public Rollout rollback(Instant now, String reason) {
    if (!state.isActive()) {
      throw new RolloutStateException(cannot("roll back"));
    }
    String why = "rolled back by an operator" + (reason == null || reason.isBlank() ? "" : ": " + reason.strip());
    return end(now, RolloutState.ROLLED_BACK, 0, failedChecks,
        new Decision(now, DecisionKind.ROLLBACK, stage, Decision.CHECK_MANUAL, WindowStats.EMPTY, WindowStats.EMPTY,
            why), why + "; " + spec.stableVersion() + " has all the traffic");
  }

  /**
   * Pauses: weights stay, analysis stops.
   *
   * @throws RolloutStateException unless PROGRESSING or WAITING_FOR_TRAFFIC
   */
  public Rollout pause(Instant now) {
    if (state == RolloutState.PAUSED) {
      throw new RolloutStateException("rollout " + id + " is already PAUSED");
    }
    if (!state.isAnalysed()) {
      throw new RolloutStateException(cannot("pause"));
    }
    return next(now, RolloutState.PAUSED, stage, candidateWeight, stageStartedAt, failedChecks,
        new Decision(now, DecisionKind.HOLD, stage, Decision.CHECK_MANUAL, WindowStats.EMPTY, WindowStats.EMPTY,
            "paused by an operator at " + weights(candidateWeight)),
        "paused by an operator at stage " + (stage + 1) + "/" + spec.stages() + " (" + weights(candidateWeight)
            + "); no analysis until resumed");
  }

  /**
   * Resumes a paused rollout; the stage timer and window restart at {@code now}.
   *
   * @throws RolloutStateException unless PAUSED
   */
  public Rollout resume(Instant now) {
    if (state != RolloutState.PAUSED) {
      throw new RolloutStateException("rollout " + id + " is " + state + ", not PAUSED: only a paused rollout"
          + " can be resumed");
    }
    return next(now, RolloutState.PROGRESSING, stage, candidateWeight, now, failedChecks,
        new Decision(now, DecisionKind.HOLD, stage, Decision.CHECK_MANUAL, WindowStats.EMPTY, WindowStats.EMPTY,
            "resumed by an operator; the stage timer restarts"),
        "resumed; " + inStageMessage(stage, candidateWeight, now));
  }

  /**
   * Aborts by hand: the stable version back to 100 %, ABORTED.
   *
   * @throws RolloutStateException when the rollout has ended
   */
  public Rollout abort(Instant now) {
    if (!state.isActive()) {
      throw new RolloutStateException(cannot("abort"));
    }
    return end(now, RolloutState.ABORTED, 0, failedChecks,
        new Decision(now, DecisionKind.ROLLBACK, stage, Decision.CHECK_MANUAL, WindowStats.EMPTY, WindowStats.EMPTY,
            "aborted by an operator"),
        "aborted by an operator; " + spec.stableVersion() + " has all the traffic");
  }

  private Rollout deadlineRollback(Instant now, WindowStats stable, WindowStats candidate, String at, String findings) {
    String reason = at + "rolled back at the progress deadline (" + RolloutSpec.format(spec.progressDeadline())
        + " in the stage) without a decision: " + findings;
    return end(now, RolloutState.ROLLED_BACK, 0, failedChecks,
        new Decision(now, DecisionKind.ROLLBACK, stage, Decision.CHECK_DEADLINE, stable, candidate, reason),
        "rolled back: " + reason);
  }

  private Rollout promoteStage(Instant now, Decision d) {
    if (stage + 1 >= spec.stages()) {
      return end(now, RolloutState.PROMOTED, 100, 0, d, promotedMessage());
    }
    int w = spec.weight(stage + 1);
    return next(now, RolloutState.PROGRESSING, stage + 1, w, now, 0, d, inStageMessage(stage + 1, w, now));
  }

  private String promotedMessage() {
    return "promoted: " + spec.candidateVersion() + " has all the traffic of " + spec.service();
  }

  private String inStageMessage(int s, int w, Instant stageStart) {
    return "stage " + (s + 1) + "/" + spec.stages() + ": " + weights(w) + "; next stage no earlier than "
        + stageStart.plus(spec.stageDuration()) + ", if the checks pass";
  }

  private String weights(int candidate) {
    return spec.candidateVersion() + " at " + candidate + " %, " + spec.stableVersion() + " at " + (100 - candidate)
        + " %";
  }

  private String cannot(String what) {
    return "cannot " + what + " rollout " + id + ": it is " + state
        + (state.isFinal() ? " (final)" : "");
  }

  private Rollout end(Instant now, RolloutState finalState, int weight, int failed, Decision d, String msg) {
    return new Rollout(id, spec, finalState, stage, weight, createdAt, stageStartedAt, now, msg, appended(d),
        weight == candidateWeight && policyConverged, failed);
  }

  private Rollout next(Instant now, RolloutState s, int newStage, int weight, Instant stageStart, int failed,
      Decision d, String msg) {
    return new Rollout(id, spec, s, newStage, weight, createdAt, stageStart, now, msg, appended(d),
        weight == candidateWeight && policyConverged, failed);
  }

  /**
   * Appends a decision, keeping the newest {@link #MAX_DECISIONS}. A routine decision (HOLD or WAIT
   * from analysis) replaces one just before it of the same kind, stage and check, so that the list
   * keeps what changed rather than one entry per analysis interval.
   */
  private List<Decision> appended(Decision d) {
    List<Decision> out = new ArrayList<>(decisions);
    Decision last = lastDecision();
    boolean routine = (d.kind() == DecisionKind.HOLD || d.kind() == DecisionKind.WAIT)
        && !Decision.CHECK_MANUAL.equals(d.check());
    if (routine && last != null && last.kind() == d.kind() && last.stage() == d.stage()
        && last.check().equals(d.check())) {
      out.set(out.size() - 1, d);
    } else {
      out.add(d);
    }
    while (out.size() > MAX_DECISIONS) {
      out.remove(0);
    }
    return withoutOldHistograms(out);
  }

  /**
   * Drops the latency histograms of every decision but the newest and the baseline (the newest whose
   * stable window reaches the minimum): the analysis needs no other, and a hundred decisions with two
   * histograms each would quadruple the size of a stored rollout.
   */
  private List<Decision> withoutOldHistograms(List<Decision> out) {
    long min = spec.thresholds().minRequests();
    boolean baselineSeen = false;
    for (int i = out.size() - 1; i >= 0; i--) {
      Decision d = out.get(i);
      boolean baseline = !baselineSeen && d.stable().requests() >= min;
      baselineSeen |= baseline;
      if (i == out.size() - 1 || baseline) {
        continue;
      }
      if (!d.stable().latency().equals(LatencyBuckets.EMPTY) || !d.candidate().latency().equals(LatencyBuckets.EMPTY)) {
        out.set(i, new Decision(d.at(), d.kind(), d.stage(), d.check(), withoutHistogram(d.stable()),
            withoutHistogram(d.candidate()), d.reason()));
      }
    }
    return out;
  }

  private static WindowStats withoutHistogram(WindowStats w) {
    return new WindowStats(w.requests(), w.errors(), w.p99Seconds());
  }
}
