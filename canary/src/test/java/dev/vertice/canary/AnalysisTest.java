package dev.vertice.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.canary.Analysis.Outcome;
import dev.vertice.canary.Analysis.Verdict;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnalysisTest {

  static final Thresholds T = Thresholds.DEFAULTS;
  static final WindowStats STABLE = new WindowStats(1900, 10, 0.100);

  static Verdict judge(WindowStats candidate) {
    return Analysis.judge(T, STABLE, candidate, OptionalDouble.empty());
  }

  @ParameterizedTest(name = "{0} requests, {1} errors, p99 {2}s -> {3} {4}")
  @CsvSource({
      "99,   0,  0.100, TOO_FEW_REQUESTS, min_requests",
      "0,    0,  0,     TOO_FEW_REQUESTS, min_requests",
      "100,  0,  0.100, PASSED,           ''",
      "100,  5,  0.100, PASSED,           ''", // exactly 5 %: allowed
      "100,  6,  0.100, FAILED,           error_rate",
      "1000, 200, 0.100, FAILED,          error_rate",
      "100,  0,  0.150, PASSED,           ''", // exactly 1.5 x stable p99: allowed
      "100,  0,  0.151, FAILED,           latency",
      "100,  0,  0.300, FAILED,           latency",
      "100,  20, 0.300, FAILED,           error_rate", // both fail: error rate is named first
  })
  void checksCompareWithTheThresholdsInclusively(long requests, long errors, double p99, Outcome outcome,
      String check) {
    Verdict v = judge(new WindowStats(requests, errors, p99));
    assertEquals(outcome, v.outcome(), v.findings());
    assertEquals(check, v.check());
  }

  @Test
  void findingsQuoteTheValuesAndTheThresholds() {
    Verdict v = judge(new WindowStats(1000, 200, 0.300));
    assertEquals("candidate error rate 20.00 % > max 5.00 % (200 of 1000 requests); "
        + "candidate p99 300.0 ms > 1.50 x stable p99 100.0 ms = 150.0 ms", v.findings());
  }

  @Test
  void tooFewRequestsSaysHowManyOfHowMany() {
    assertEquals("the candidate saw 40 of the 100 requests needed to judge the stage",
        judge(new WindowStats(40, 40, 9)).findings());
  }

  @Test
  void withoutStableTrafficTheBaselineIsTheReference() {
    Verdict v = Analysis.judge(T, WindowStats.EMPTY, new WindowStats(500, 0, 0.400), OptionalDouble.of(0.100));
    assertEquals(Outcome.FAILED, v.outcome());
    assertEquals("latency", v.check());
    assertTrue(v.findings().contains("earlier stable p99 100.0 ms"), v.findings());
  }

  @Test
  void withoutStableTrafficOrBaselineLatencyIsNotComparedAndSaysSo() {
    Verdict v = Analysis.judge(T, WindowStats.EMPTY, new WindowStats(500, 0, 9.0), OptionalDouble.empty());
    assertEquals(Outcome.PASSED, v.outcome());
    assertTrue(v.findings().contains("latency not compared: the stable version saw no requests"), v.findings());
  }

  @Test
  void customThresholdsApply() {
    Thresholds strict = new Thresholds(0.01, 1.1, 10);
    assertEquals(Outcome.FAILED,
        Analysis.judge(strict, STABLE, new WindowStats(10, 0, 0.111), OptionalDouble.empty()).outcome());
    assertEquals(Outcome.FAILED,
        Analysis.judge(strict, STABLE, new WindowStats(100, 2, 0.1), OptionalDouble.empty()).outcome());
    assertEquals(Outcome.PASSED,
        Analysis.judge(strict, STABLE, new WindowStats(100, 1, 0.11), OptionalDouble.empty()).outcome());
  }
}
