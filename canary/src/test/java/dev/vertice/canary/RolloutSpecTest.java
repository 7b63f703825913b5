package dev.vertice.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RolloutSpecTest {

  static RolloutSpec.Draft valid() {
    return RolloutSpec.draft().service("orders").stableVersion("v1").candidateVersion("v2");
  }

  @Test
  void unsetFieldsTakeTheDocumentedDefaults() {
    RolloutSpec s = valid().validate().orThrow();
    assertEquals("orders", s.service());
    assertEquals(Strategy.CANARY, s.strategy());
    assertEquals(List.of(5, 25, 50, 100), s.stageWeights());
    assertEquals(Duration.ofSeconds(60), s.stageDuration());
    assertEquals(Duration.ofSeconds(10), s.analysisInterval());
    assertEquals(new Thresholds(0.05, 1.5, 100), s.thresholds());
    assertEquals(Duration.ofMillis(5), s.thresholds().latencyMargin());
    assertEquals(0.01, s.thresholds().latencySignificance());
    assertEquals(1, s.failureLimit());
    assertEquals(Duration.ofMinutes(10), s.progressDeadline());
    assertEquals(DeadlineAction.ROLLBACK, s.deadlineAction());
  }

  @Test
  void serviceNameIsNormalised() {
    assertEquals("osint-service", valid().service("OSINT_SERVICE").validate().orThrow().service());
  }

  @Test
  void blueGreenHasOneStageAtOneHundredWhateverWeightsAreGiven() {
    RolloutSpec s = valid().strategy(Strategy.BLUE_GREEN).stageWeights(List.of(7, 3)).validate().orThrow();
    assertEquals(List.of(100), s.stageWeights());
  }

  @Test
  void explicitValuesAreKept() {
    RolloutSpec s = valid().stageWeights(List.of(10, 100)).stageDuration(Duration.ofSeconds(1))
        .analysisInterval(Duration.ofMillis(100)).maxErrorRate(1.0).maxLatencyRatio(1.0).minRequests(1L)
        .latencyMargin(Duration.ZERO).latencySignificance(0.5).failureLimit(100).progressDeadline(Duration.ofSeconds(1)).deadlineAction(DeadlineAction.HOLD)
        .validate().orThrow();
    assertEquals(List.of(10, 100), s.stageWeights());
    assertEquals(new Thresholds(1.0, 1.0, 1, Duration.ZERO, 0.5), s.thresholds());
    assertEquals(100, s.failureLimit());
    assertEquals(DeadlineAction.HOLD, s.deadlineAction());
    assertEquals(s, s.toDraft().validate().orThrow());
  }

  static Stream<Arguments> badFields() {
    return Stream.of(
        bad("service", d -> d.service(null), "is empty"),
        bad("service", d -> d.service("  "), "is empty"),
        bad("service", d -> d.service("no/slash"), "'no/slash' is not valid"),
        bad("stable_version", d -> d.stableVersion(""), "is empty"),
        bad("candidate_version", d -> d.candidateVersion("v 2"), "'v 2' is not valid"),
        bad("candidate_version", d -> d.candidateVersion("v1"), "'v1' equals stable_version"),
        bad("stage_weights[1]", d -> d.stageWeights(List.of(50, 25, 100)), "25 does not exceed the previous stage's 50"),
        bad("stage_weights[1]", d -> d.stageWeights(List.of(50, 50, 100)), "50 does not exceed"),
        bad("stage_weights[0]", d -> d.stageWeights(List.of(0, 100)), "0 is outside 1..100"),
        bad("stage_weights[1]", d -> d.stageWeights(List.of(5, 101)), "101 is outside 1..100"),
        bad("stage_weights[1]", d -> d.stageWeights(List.of(5, 50)), "50 is not 100"),
        bad("stage_weights[0]", d -> d.stageWeights(Arrays.asList((Integer) null, 100)), "null is outside 1..100"),
        bad("stage_weights", d -> d.stageWeights(manyStages()), "21 stages; at most 20"),
        bad("stage_duration", d -> d.stageDuration(Duration.ofMillis(999)), "999ms is outside [1s, 24h]"),
        bad("stage_duration", d -> d.stageDuration(Duration.ofHours(25)), "25h is outside [1s, 24h]"),
        bad("stage_duration", d -> d.stageDuration(Duration.ofSeconds(-5)), "-5s is outside"),
        bad("analysis_interval", d -> d.analysisInterval(Duration.ofMillis(99)), "99ms is outside [100ms, 10m]"),
        bad("analysis_interval", d -> d.analysisInterval(Duration.ofMinutes(11)), "11m is outside"),
        bad("thresholds.max_error_rate", d -> d.maxErrorRate(-0.1), "-0.1 is outside (0, 1]"),
        bad("thresholds.max_error_rate", d -> d.maxErrorRate(1.5), "1.5 is outside (0, 1]"),
        bad("thresholds.max_error_rate", d -> d.maxErrorRate(Double.NaN), "NaN is outside"),
        bad("thresholds.max_latency_ratio", d -> d.maxLatencyRatio(0.5), "0.5 is outside [1, 100]"),
        bad("thresholds.max_latency_ratio", d -> d.maxLatencyRatio(101.0), "101.0 is outside"),
        bad("thresholds.min_requests", d -> d.minRequests(-1L), "-1 is outside [1, 1000000000]"),
        bad("thresholds.min_requests", d -> d.minRequests(1_000_000_001L), "1000000001 is outside"),
        bad("thresholds.latency_margin", d -> d.latencyMargin(Duration.ofMillis(-1)), "-1ms is outside [0s, 1m]"),
        bad("thresholds.latency_margin", d -> d.latencyMargin(Duration.ofSeconds(61)), "61s is outside [0s, 1m]"),
        bad("thresholds.latency_significance", d -> d.latencySignificance(0), "0.0 is outside (0, 0.5]"),
        bad("thresholds.latency_significance", d -> d.latencySignificance(0.51), "0.51 is outside (0, 0.5]"),
        bad("thresholds.latency_significance", d -> d.latencySignificance(Double.NaN), "NaN is outside"),
        bad("failure_limit", d -> d.failureLimit(0), "0 is outside [1, 100]"),
        bad("failure_limit", d -> d.failureLimit(101), "101 is outside [1, 100]"),
        bad("progress_deadline", d -> d.progressDeadline(Duration.ofDays(8)), "192h is outside [1s, 168h]"),
        bad("progress_deadline", d -> d.stageDuration(Duration.ofMinutes(5)).progressDeadline(Duration.ofMinutes(2)),
            "2m is shorter than stage_duration 5m"));
  }

  static List<Integer> manyStages() {
    return Stream.iterate(1, i -> i + 1).limit(21).map(i -> i == 21 ? 100 : i * 4).toList();
  }

  static Arguments bad(String field, UnaryOperator<RolloutSpec.Draft> change, String expected) {
    return Arguments.of(field, change, expected);
  }

  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("badFields")
  void badFieldIsReportedByNameWithTheRejectedValue(String field, UnaryOperator<RolloutSpec.Draft> change,
      String expected) {
    RolloutSpec.Validated v = change.apply(valid()).validate();
    assertFalse(v.ok());
    assertTrue(v.spec().isEmpty());
    assertEquals(1, v.violations().size(), v.describe());
    assertEquals(field, v.violations().get(0).field());
    assertTrue(v.violations().get(0).description().contains(expected), v.violations().get(0).description());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, v::orThrow);
    assertTrue(e.getMessage().startsWith(field + ": "), e.getMessage());
  }

  @Test
  void everyBadFieldIsReportedAtOnce() {
    RolloutSpec.Validated v = RolloutSpec.draft().service("").stableVersion("v1").candidateVersion("v1")
        .stageWeights(List.of(30, 20, 90)).stageDuration(Duration.ZERO).maxErrorRate(2.0).failureLimit(0)
        .validate();
    assertEquals(List.of("service", "candidate_version", "stage_weights[1]", "stage_weights[2]", "stage_duration",
        "thresholds.max_error_rate", "failure_limit"), v.violations().stream().map(Violation::field).toList());
  }

  @Test
  void bothVersionsMissingAreTwoViolations() {
    RolloutSpec.Validated v = RolloutSpec.draft().service("orders").validate();
    assertEquals(List.of("stable_version", "candidate_version"),
        v.violations().stream().map(Violation::field).toList());
  }

  @Test
  void emptyWeightListMeansTheDefaultStages() {
    assertEquals(RolloutSpec.DEFAULT_STAGE_WEIGHTS, valid().stageWeights(List.of()).validate().orThrow().stageWeights());
  }

  @Test
  void singleStageCanaryAtOneHundredIsAllowed() {
    assertEquals(List.of(100), valid().stageWeights(List.of(100)).validate().orThrow().stageWeights());
  }

  @Test
  void durationsFormatTheWayOperatorsWriteThem() {
    assertEquals("90s", RolloutSpec.format(Duration.ofSeconds(90)));
    assertEquals("10m", RolloutSpec.format(Duration.ofMinutes(10)));
    assertEquals("250ms", RolloutSpec.format(Duration.ofMillis(250)));
    assertEquals("2h", RolloutSpec.format(Duration.ofHours(2)));
    assertEquals("0s", RolloutSpec.format(Duration.ZERO));
    assertEquals("PT0.0000015S", RolloutSpec.format(Duration.ofNanos(1500)));
  }
}
