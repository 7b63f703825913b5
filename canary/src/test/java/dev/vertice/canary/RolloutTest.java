package dev.vertice.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class RolloutTest {

  /** Time moves only when the test says so. */
  Instant now = Instant.parse("2026-01-01T12:00:00Z");

  static final WindowStats STABLE = new WindowStats(5000, 10, 0.100);
  static final WindowStats HEALTHY = new WindowStats(300, 1, 0.110);
  static final WindowStats ERRORS_20 = new WindowStats(300, 60, 0.100);
  static final WindowStats SLOW_3X = new WindowStats(300, 0, 0.300);
  static final WindowStats FEW = new WindowStats(40, 0, 0.100);

  void advance(Duration d) {
    now = now.plus(d);
  }

  static RolloutSpec.Draft draft() {
    return RolloutSpec.draft().service("orders").stableVersion("v1").candidateVersion("v2")
        .stageDuration(Duration.ofSeconds(30)).analysisInterval(Duration.ofSeconds(10))
        .progressDeadline(Duration.ofMinutes(2));
  }

  Rollout started(RolloutSpec.Draft d) {
    return Rollout.create("orders-1", d.validate().orThrow(), now).start(now, STABLE, WindowStats.EMPTY);
  }

  /** Runs analyses every interval until the stage changes or the rollout ends. */
  Rollout tickUntilStageChanges(Rollout r, WindowStats candidate) {
    return tickUntilStageChanges(r, STABLE, candidate);
  }

  Rollout tickUntilStageChanges(Rollout r, WindowStats stable, WindowStats candidate) {
    int stage = r.stage();
    for (int i = 0; i < 100 && r.state().isAnalysed() && r.stage() == stage; i++) {
      advance(r.spec().analysisInterval());
      r = r.analyse(now, stable, candidate);
    }
    return r;
  }

  @Test
  void createdRolloutIsPendingWithTheStableVersionAtFullWeight() {
    Rollout r = Rollout.create("orders-1", draft().validate().orThrow(), now);
    assertEquals(RolloutState.PENDING, r.state());
    assertEquals(0, r.candidateWeight());
    assertEquals(100, r.stableWeight());
    assertTrue(r.decisions().isEmpty());
    assertTrue(r.message().contains("v2 is about to get 5 % of orders"), r.message());
  }

  @Test
  void startPutsTheFirstStageInForceAndRecordsTheBaseline() {
    Rollout r = started(draft());
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertEquals(0, r.stage());
    assertEquals(5, r.candidateWeight());
    assertEquals(95, r.stableWeight());
    assertEquals(now, r.stageStartedAt());
    assertEquals(DecisionKind.PROMOTE, r.lastDecision().kind());
    assertEquals(STABLE, r.lastDecision().stable());
    assertEquals(STABLE, r.stableBaseline().orElseThrow());
    assertThrows(RolloutStateException.class, () -> r.start(now, STABLE, STABLE));
  }

  @Test
  void healthyCandidateIsPromotedThroughEveryStage() {
    Rollout r = started(draft());
    List<Integer> weights = new ArrayList<>(List.of(r.candidateWeight()));
    while (r.state().isAnalysed()) {
      r = tickUntilStageChanges(r, HEALTHY);
      weights.add(r.candidateWeight());
    }
    assertEquals(List.of(5, 25, 50, 100, 100), weights);
    assertEquals(RolloutState.PROMOTED, r.state());
    assertEquals(100, r.candidateWeight());
    // Three 10 s ticks per 30 s stage, four stages.
    assertEquals(Instant.parse("2026-01-01T12:02:00Z"), r.updatedAt());
    assertTrue(r.message().startsWith("promoted: v2 has all the traffic of orders"), r.message());
    assertEquals(DecisionKind.PROMOTE, r.lastDecision().kind());
    assertEquals("", r.lastDecision().check());
  }

  @Test
  void passingChecksHoldUntilTheStageHasLastedItsDuration() {
    Rollout r = started(draft());
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, HEALTHY);
    assertEquals(DecisionKind.HOLD, r.lastDecision().kind());
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertEquals(5, r.candidateWeight());
    advance(Duration.ofSeconds(19));
    r = r.analyse(now, STABLE, HEALTHY);
    assertEquals(DecisionKind.HOLD, r.lastDecision().kind());
    advance(Duration.ofSeconds(1));
    r = r.analyse(now, STABLE, HEALTHY);
    assertEquals(DecisionKind.PROMOTE, r.lastDecision().kind());
    assertEquals(1, r.stage());
    assertEquals(25, r.candidateWeight());
    assertEquals(now, r.stageStartedAt());
  }

  @Test
  void twentyPercentErrorsRollBackAtTheFirstStageWithTheNumbers() {
    Rollout r = started(draft());
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, ERRORS_20);
    assertEquals(RolloutState.ROLLED_BACK, r.state());
    assertEquals(0, r.stage());
    assertEquals(0, r.candidateWeight());
    Decision d = r.lastDecision();
    assertEquals(DecisionKind.ROLLBACK, d.kind());
    assertEquals("error_rate", d.check());
    assertEquals(ERRORS_20, d.candidate());
    assertEquals(STABLE, d.stable());
    assertTrue(d.reason().contains("candidate error rate 20.00 % > max 5.00 % (60 of 300 requests)"), d.reason());
    assertTrue(r.message().startsWith("rolled back: "), r.message());
  }

  @Test
  void tripleLatencyRollsBackOnTheLatencyCheck() {
    Rollout r = started(draft());
    r = tickUntilStageChanges(r, HEALTHY);
    assertEquals(1, r.stage());
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, SLOW_3X);
    assertEquals(RolloutState.ROLLED_BACK, r.state());
    assertEquals("latency", r.lastDecision().check());
    assertEquals(1, r.lastDecision().stage());
    assertTrue(r.lastDecision().reason().contains("candidate p99 300.0 ms > 1.50 x stable p99 100.0 ms + margin 5.0 ms = 155.0 ms"),
        r.lastDecision().reason());
  }

  @Test
  void failuresBelowTheLimitHoldAndCountThenTheLimitRollsBack() {
    Rollout r = started(draft().failureLimit(3));
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, ERRORS_20);
    assertEquals(DecisionKind.FAIL, r.lastDecision().kind());
    assertEquals(1, r.failedChecks());
    assertEquals(5, r.candidateWeight());
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertTrue(r.message().contains("2 more failure(s) roll back"), r.message());
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, SLOW_3X);
    assertEquals(DecisionKind.FAIL, r.lastDecision().kind());
    assertEquals("latency", r.lastDecision().check());
    assertEquals(2, r.failedChecks());
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, ERRORS_20);
    assertEquals(RolloutState.ROLLED_BACK, r.state());
    assertEquals(3, r.failedChecks());
    assertTrue(r.lastDecision().reason().contains("(failure 3 of 3 allowed)"), r.lastDecision().reason());
  }

  @Test
  void failedChecksAreCountedPerStage() {
    Rollout r = started(draft().failureLimit(2));
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, ERRORS_20);
    assertEquals(1, r.failedChecks());
    r = tickUntilStageChanges(r, HEALTHY);
    assertEquals(1, r.stage());
    assertEquals(0, r.failedChecks());
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, ERRORS_20);
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertEquals(1, r.failedChecks());
  }

  @Test
  void tooLittleTrafficIsReportedPlainlyThenRolledBackAtTheDeadline() {
    Rollout r = started(draft());
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, FEW);
    assertEquals(RolloutState.WAITING_FOR_TRAFFIC, r.state());
    assertEquals(DecisionKind.WAIT, r.lastDecision().kind());
    assertEquals("min_requests", r.lastDecision().check());
    assertEquals("waiting for traffic: the candidate saw 40 of the 100 requests needed to judge the stage; at the"
        + " progress deadline 2026-01-01T12:02:00Z the rollout rolls back", r.message());
    for (int i = 0; i < 10; i++) {
      advance(Duration.ofSeconds(10));
      r = r.analyse(now, STABLE, FEW);
      assertEquals(RolloutState.WAITING_FOR_TRAFFIC, r.state());
    }
    advance(Duration.ofSeconds(10)); // 120 s in the stage: the deadline
    r = r.analyse(now, STABLE, FEW);
    assertEquals(RolloutState.ROLLED_BACK, r.state());
    assertEquals(0, r.candidateWeight());
    assertEquals("deadline", r.lastDecision().check());
    assertTrue(r.lastDecision().reason().contains("rolled back at the progress deadline (2m in the stage) without a"
        + " decision: the candidate saw 40 of the 100 requests"), r.lastDecision().reason());
  }

  @Test
  void holdAtTheDeadlineKeepsTheWeightsAndSaysSoUntilTrafficArrives() {
    Rollout r = started(draft().deadlineAction(DeadlineAction.HOLD));
    advance(Duration.ofMinutes(2));
    r = r.analyse(now, STABLE, FEW);
    assertEquals(RolloutState.WAITING_FOR_TRAFFIC, r.state());
    assertEquals(5, r.candidateWeight());
    assertEquals("deadline", r.lastDecision().check());
    assertTrue(r.message().startsWith("waiting for traffic past the progress deadline, holding v2 at 5 %, v1 at 95 %"),
        r.message());
    advance(Duration.ofMinutes(20));
    r = r.analyse(now, STABLE, FEW);
    assertEquals(RolloutState.WAITING_FOR_TRAFFIC, r.state());
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, HEALTHY);
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertEquals(25, r.candidateWeight());
  }

  @Test
  void aFailingStageStillUndecidedAtTheDeadlineRollsBack() {
    Rollout r = started(draft().failureLimit(100));
    advance(Duration.ofMinutes(2));
    r = r.analyse(now, STABLE, ERRORS_20);
    assertEquals(RolloutState.ROLLED_BACK, r.state());
    assertEquals("deadline", r.lastDecision().check());
    assertTrue(r.lastDecision().reason().contains("the error_rate check failed"), r.lastDecision().reason());
  }

  @Test
  void manualPromoteMovesOneStageAndSkipsAnalysis() {
    Rollout r = started(draft());
    advance(Duration.ofSeconds(3));
    r = r.promote(now, false);
    assertEquals(1, r.stage());
    assertEquals(25, r.candidateWeight());
    assertEquals(now, r.stageStartedAt());
    assertEquals("manual", r.lastDecision().check());
    assertEquals(DecisionKind.PROMOTE, r.lastDecision().kind());
    r = r.promote(now, false).promote(now, false);
    assertEquals(100, r.candidateWeight());
    assertEquals(RolloutState.PROGRESSING, r.state());
    r = r.promote(now, false);
    assertEquals(RolloutState.PROMOTED, r.state());
  }

  @Test
  void fullPromoteEndsTheRolloutAtOneHundred() {
    Rollout r = started(draft()).promote(now, true);
    assertEquals(RolloutState.PROMOTED, r.state());
    assertEquals(100, r.candidateWeight());
    assertTrue(r.lastDecision().reason().contains("full promotion"));
  }

  @Test
  void waitingRolloutCanBePromotedByHand() {
    Rollout r = started(draft());
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, FEW).promote(now, false);
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertEquals(25, r.candidateWeight());
  }

  @Test
  void pauseFreezesWeightsAndResumeRestartsTheStageTimer() {
    Rollout r = started(draft());
    advance(Duration.ofSeconds(20));
    r = r.pause(now);
    assertEquals(RolloutState.PAUSED, r.state());
    assertEquals(5, r.candidateWeight());
    Rollout paused = r;
    assertThrows(RolloutStateException.class, () -> paused.analyse(now, STABLE, HEALTHY));
    assertThrows(RolloutStateException.class, () -> paused.pause(now));
    advance(Duration.ofHours(1)); // no deadline runs while paused
    r = r.resume(now);
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertEquals(now, r.stageStartedAt());
    assertEquals(now.plus(Duration.ofMinutes(2)), r.deadline());
    advance(Duration.ofSeconds(20));
    r = r.analyse(now, STABLE, HEALTHY);
    assertEquals(DecisionKind.HOLD, r.lastDecision().kind(), "20 s after resuming: the 30 s stage is not over");
    advance(Duration.ofSeconds(10));
    r = r.analyse(now, STABLE, HEALTHY);
    assertEquals(25, r.candidateWeight());
  }

  @Test
  void manualPromoteOfAPausedRolloutKeepsItPaused() {
    Rollout r = started(draft()).pause(now).promote(now, false);
    assertEquals(RolloutState.PAUSED, r.state());
    assertEquals(25, r.candidateWeight());
    assertTrue(r.message().contains("resume to analyse"), r.message());
  }

  @Test
  void manualRollbackRecordsTheOperatorsReason() {
    Rollout r = started(draft()).rollback(now, " bad dashboards ");
    assertEquals(RolloutState.ROLLED_BACK, r.state());
    assertEquals(0, r.candidateWeight());
    assertEquals("manual", r.lastDecision().check());
    assertEquals("rolled back by an operator: bad dashboards", r.lastDecision().reason());
    assertEquals("rolled back by an operator", started(draft()).rollback(now, "").lastDecision().reason());
  }

  @Test
  void abortPutsTheStableVersionBackAtFullWeight() {
    Rollout r = started(draft()).pause(now).abort(now);
    assertEquals(RolloutState.ABORTED, r.state());
    assertEquals(0, r.candidateWeight());
    assertEquals(DecisionKind.ROLLBACK, r.lastDecision().kind());
    assertEquals("aborted by an operator", r.lastDecision().reason());
  }

  @Test
  void pendingRolloutCanOnlyBeStartedRolledBackOrAborted() {
    Rollout p = Rollout.create("orders-1", draft().validate().orThrow(), now);
    assertThrows(RolloutStateException.class, () -> p.promote(now, false));
    assertThrows(RolloutStateException.class, () -> p.pause(now));
    assertThrows(RolloutStateException.class, () -> p.resume(now));
    assertThrows(RolloutStateException.class, () -> p.analyse(now, STABLE, HEALTHY));
    assertEquals(RolloutState.ABORTED, p.abort(now).state());
    assertEquals(RolloutState.ROLLED_BACK, p.rollback(now, "").state());
  }

  @Test
  void resumeOfARolloutThatIsNotPausedFailsAndSaysWhy() {
    Rollout r = started(draft());
    RolloutStateException e = assertThrows(RolloutStateException.class, () -> r.resume(now));
    assertEquals("rollout orders-1 is PROGRESSING, not PAUSED: only a paused rollout can be resumed", e.getMessage());
  }

  static Stream<Arguments> operations() {
    return Stream.of(
        Arguments.of("promote", (BiFunction<Rollout, Instant, Rollout>) (r, t) -> r.promote(t, false)),
        Arguments.of("full promote", (BiFunction<Rollout, Instant, Rollout>) (r, t) -> r.promote(t, true)),
        Arguments.of("rollback", (BiFunction<Rollout, Instant, Rollout>) (r, t) -> r.rollback(t, "x")),
        Arguments.of("pause", (BiFunction<Rollout, Instant, Rollout>) Rollout::pause),
        Arguments.of("resume", (BiFunction<Rollout, Instant, Rollout>) Rollout::resume),
        Arguments.of("abort", (BiFunction<Rollout, Instant, Rollout>) Rollout::abort),
        Arguments.of("analyse", (BiFunction<Rollout, Instant, Rollout>) (r, t) -> r.analyse(t, STABLE, HEALTHY)));
  }

  @ParameterizedTest(name = "{0} of a final rollout")
  @MethodSource("operations")
  void finalRolloutsRefuseEveryOperation(String name, BiFunction<Rollout, Instant, Rollout> op) {
    for (Rollout r : List.of(started(draft()).promote(now, true), started(draft()).rollback(now, ""),
        started(draft()).abort(now))) {
      RolloutStateException e = assertThrows(RolloutStateException.class, () -> op.apply(r, now));
      assertTrue(e.getMessage().contains(r.state().name()), e.getMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(RolloutState.class)
  void activeAndFinalPartitionTheStates(RolloutState s) {
    assertTrue(s.isActive() != s.isFinal());
    if (s.isAnalysed()) {
      assertTrue(s.isActive());
    }
  }

  @Test
  void blueGreenSwitchesAllTrafficAtOnceAndComparesWithTheEarlierStableLatency() {
    Rollout r = started(draft().strategy(Strategy.BLUE_GREEN));
    assertEquals(100, r.candidateWeight());
    assertEquals(0, r.stableWeight());
    advance(Duration.ofSeconds(10));
    // All traffic on the candidate: the stable version saw none in the window.
    r = r.analyse(now, WindowStats.EMPTY, new WindowStats(3000, 0, 0.400));
    assertEquals(RolloutState.ROLLED_BACK, r.state());
    assertEquals("latency", r.lastDecision().check());
    assertEquals(0, r.candidateWeight(), "switched back to stable at once");
    assertTrue(r.lastDecision().reason().contains("earlier stable p99 100.0 ms"), r.lastDecision().reason());
  }

  @Test
  void aStableWindowBelowTheMinimumIsNotTheLatencyReference() {
    Rollout r = started(draft().strategy(Strategy.BLUE_GREEN));
    advance(Duration.ofSeconds(10));
    // Three stable requests still finished in the window after the switch, quickly: compared with
    // them, the candidate's usual 110 ms would look 7 times slower.
    r = r.analyse(now, new WindowStats(3, 0, 0.010), new WindowStats(3000, 0, 0.110));
    assertEquals(RolloutState.PROGRESSING, r.state(), r.lastDecision().reason());
    assertTrue(r.lastDecision().reason().contains("1.50 x earlier stable p99 100.0 ms"), r.lastDecision().reason());
    assertEquals(STABLE, r.stableBaseline().orElseThrow(), "the three requests do not become the baseline");
  }

  @Test
  void onlyTheNewestDecisionAndTheBaselineKeepTheirLatencyHistograms() {
    WindowStats stable = Histograms.window(0, 0, 300, 900, 523, 150, 27);
    WindowStats candidate = Histograms.window(0, 0, 30, 90, 52, 15, 3);
    Rollout r = Rollout.create("orders-1", draft().validate().orThrow(), now).start(now, stable, WindowStats.EMPTY);
    for (int i = 0; i < 3; i++) {
      r = tickUntilStageChanges(r, stable, candidate);
    }
    assertEquals(3, r.stage(), "at the 100 % stage");
    advance(Duration.ofSeconds(2));
    r = r.analyse(now, Histograms.window(0, 0, 0, 3), candidate); // three stable stragglers
    List<Decision> d = r.decisions();
    long withHistograms = d.stream().filter(x -> !x.candidate().latency().equals(LatencyBuckets.EMPTY)
        || !x.stable().latency().equals(LatencyBuckets.EMPTY)).count();
    assertEquals(2, withHistograms, d.toString());
    assertEquals(candidate, r.lastDecision().candidate());
    assertEquals(stable, r.stableBaseline().orElseThrow(), "the baseline keeps its histogram for the U test");
    assertTrue(r.lastDecision().reason().contains("Mann-Whitney U, candidate against 1.50 x earlier stable"),
        r.lastDecision().reason());
  }

  @Test
  void healthyBlueGreenIsPromotedAfterOneStage() {
    Rollout r = started(draft().strategy(Strategy.BLUE_GREEN));
    r = tickUntilStageChanges(r, HEALTHY);
    assertEquals(RolloutState.PROMOTED, r.state());
    assertEquals(100, r.candidateWeight());
  }

  @Test
  void blueGreenSwitchBackByHand() {
    Rollout r = started(draft().strategy(Strategy.BLUE_GREEN)).rollback(now, "switch back");
    assertEquals(0, r.candidateWeight());
    assertEquals(100, r.stableWeight());
  }

  @Test
  void routineDecisionsReplaceTheirPredecessorAndTheListIsBounded() {
    Rollout r = started(draft().stageDuration(Duration.ofHours(1)).progressDeadline(Duration.ofHours(2)));
    for (int i = 0; i < 5; i++) {
      advance(Duration.ofSeconds(10));
      r = r.analyse(now, STABLE, HEALTHY);
    }
    assertEquals(2, r.decisions().size(), "start, then one HOLD carrying the newest numbers");
    assertEquals(now, r.lastDecision().at());
    for (int i = 0; i < 150; i++) {
      r = r.pause(now).resume(now);
    }
    assertEquals(Rollout.MAX_DECISIONS, r.decisions().size());
    assertEquals(now, r.lastDecision().at());
  }

  @Test
  void convergenceFlagIsClearedWhenTheWeightsChangeOnly() {
    Rollout r = started(draft()).withPolicyConverged(true);
    assertSame(r, r.withPolicyConverged(true));
    advance(Duration.ofSeconds(10));
    Rollout held = r.analyse(now, STABLE, HEALTHY);
    assertTrue(held.policyConverged());
    Rollout paused = held.pause(now);
    assertTrue(paused.policyConverged());
    Rollout promoted = held.promote(now, false);
    assertFalse(promoted.policyConverged());
    assertFalse(held.rollback(now, "").policyConverged());
  }

  @Test
  void transitionsLeaveTheOriginalUnchanged() {
    Rollout r = started(draft());
    List<Decision> before = r.decisions();
    advance(Duration.ofSeconds(10));
    Rollout after = r.analyse(now, STABLE, ERRORS_20);
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertEquals(before, r.decisions());
    assertNotNull(after);
    assertThrows(UnsupportedOperationException.class, () -> r.decisions().add(null));
  }

  @Test
  void windowStatsRejectImpossibleNumbers() {
    assertThrows(IllegalArgumentException.class, () -> new WindowStats(10, 11, 0));
    assertThrows(IllegalArgumentException.class, () -> new WindowStats(-1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new WindowStats(1, 0, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new WindowStats(1, 0, -0.1));
    assertEquals(0.0, WindowStats.EMPTY.errorRate());
    assertEquals("no requests", WindowStats.EMPTY.describe());
    assertEquals("120 requests, 3 errors (2.50 %), p99 41.0 ms", new WindowStats(120, 3, 0.041).describe());
  }
}
