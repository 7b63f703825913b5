package dev.vertice.canary;

import static dev.vertice.canary.Histograms.window;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.canary.Analysis.Outcome;
import dev.vertice.canary.Analysis.Verdict;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnalysisTest {

  static final Thresholds T = Thresholds.DEFAULTS;
  static final WindowStats STABLE = new WindowStats(1900, 10, 0.100);
  /** A stable window through a gateway on loopback: mostly 1-5 ms, a tail to 25 ms (p99 14.4 ms). */
  static final WindowStats STABLE_BUCKETS = window(0, 0, 300, 900, 523, 150, 27);

  static Verdict judge(WindowStats candidate) {
    return Analysis.judge(T, STABLE, candidate, Optional.empty());
  }

  @ParameterizedTest(name = "{0} requests, {1} errors, p99 {2}s -> {3} {4}")
  @CsvSource({
      "99,   0,  0.100, TOO_FEW_REQUESTS, min_requests",
      "0,    0,  0,     TOO_FEW_REQUESTS, min_requests",
      "100,  0,  0.100, PASSED,           ''",
      "100,  5,  0.100, PASSED,           ''", // exactly 5 %: allowed
      "100,  6,  0.100, FAILED,           error_rate",
      "1000, 200, 0.100, FAILED,          error_rate",
      "100,  0,  0.155, PASSED,           ''", // exactly 1.5 x stable p99 + 5 ms: allowed
      "100,  0,  0.156, FAILED,           latency", // no histograms: the p99 decides
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
        + "candidate p99 300.0 ms > 1.50 x stable p99 100.0 ms + margin 5.0 ms = 155.0 ms; no latency histogram to"
        + " test the whole distribution: the p99 decides", v.findings());
  }

  @Test
  void tooFewRequestsSaysHowManyOfHowMany() {
    assertEquals("the candidate saw 40 of the 100 requests needed to judge the stage",
        judge(new WindowStats(40, 40, 9)).findings());
  }

  @Test
  void theFirstRunsFalseRollbackIsNotJudgedOnThirteenRequests() {
    // Issue 20: "candidate p99 23.0 ms > 1.50 x stable p99 14.4 ms" on 13 candidate requests rolled
    // back a v2 identical to v1. At the default 100 requests per version it waits for traffic.
    WindowStats candidate = window(0, 0, 2, 6, 3, 1, 1);
    assertEquals(13, candidate.requests());
    assertEquals(14.4, STABLE_BUCKETS.p99Seconds() * 1000, 0.05);
    Verdict v = Analysis.judge(T, STABLE_BUCKETS, candidate, Optional.empty());
    assertEquals(Outcome.TOO_FEW_REQUESTS, v.outcome(), v.findings());
  }

  @Test
  void aTailOfAFewSlowRequestsAboveTheP99LimitIsNoiseWhenTheDistributionIsNotSlower() {
    // The same shape as stable, but three of 120 requests caught a 30-50 ms pause: p99 44 ms, above
    // 1.5 x 14.4 + 5 = 26.7 ms, while the U test sees no slowdown.
    WindowStats candidate = window(0, 0, 20, 57, 30, 8, 2, 3);
    Verdict v = Analysis.judge(T, STABLE_BUCKETS, candidate, Optional.empty());
    assertEquals(Outcome.PASSED, v.outcome(), v.findings());
    assertTrue(v.findings().contains("candidate p99 4"), v.findings());
    assertTrue(v.findings().contains("> 1.50 x stable p99 14.4 ms + margin 5.0 ms = 26.7 ms"), v.findings());
    assertTrue(v.findings().contains("Mann-Whitney U, candidate against 1.50 x stable latencies (120 vs 1900"
        + " requests): U = "), v.findings());
    assertTrue(v.findings().contains(">= 0.01"), v.findings());
    assertTrue(v.findings().contains("tail noise, not a regression"), v.findings());
  }

  @Test
  void fiftyMillisecondsAddedFailsBothTheP99AndTheUTest() {
    WindowStats candidate = window(0, 0, 0, 0, 0, 0, 0, 118, 2);
    Verdict v = Analysis.judge(T, STABLE_BUCKETS, candidate, Optional.empty());
    assertEquals(Outcome.FAILED, v.outcome(), v.findings());
    assertEquals(Decision.CHECK_LATENCY, v.check());
    assertTrue(v.findings().matches(".*candidate p99 \\d+\\.\\d ms > 1\\.50 x stable p99 14\\.4 ms \\+ margin 5\\.0 ms"
        + " = 26\\.7 ms; Mann-Whitney U, candidate against 1\\.50 x stable latencies \\(120 vs 1900 requests\\):"
        + " U = 228000\\.0, z = \\d+\\.\\d\\d, p = .* < 0\\.01, candidate slower in 100\\.00 % of pairs"), v.findings());
  }

  @Test
  void aSlowerDistributionUnderTheP99LimitPasses() {
    // Everything moved from 1-5 ms to 5-10 ms: significantly slower than 1.5 x stable, but the p99
    // (10 ms) is far under the 26.7 ms limit: the latency budget holds.
    WindowStats candidate = window(0, 0, 0, 0, 0, 120);
    Verdict v = Analysis.judge(T, STABLE_BUCKETS, candidate, Optional.empty());
    assertEquals(Outcome.PASSED, v.outcome(), v.findings());
    assertTrue(v.findings().contains("< 0.01"), v.findings());
  }

  @Test
  void marginAndSignificanceAreSettings() {
    WindowStats candidate = window(0, 0, 20, 57, 30, 8, 2, 3);
    Thresholds noMargin = new Thresholds(0.05, 1.5, 100, Duration.ZERO, 0.5);
    Verdict v = Analysis.judge(noMargin, STABLE_BUCKETS, window(0, 0, 0, 0, 0, 100, 20), Optional.empty());
    assertEquals(Outcome.FAILED, v.outcome(), v.findings());
    assertTrue(v.findings().contains("+ margin 0.0 ms"), v.findings());
    assertEquals(Outcome.PASSED, Analysis.judge(noMargin, STABLE_BUCKETS, candidate, Optional.empty()).outcome());
  }

  @Test
  void stableBelowTheMinimumIsReplacedByTheBaseline() {
    // At a 100 % stage a few stable requests still finish in the window: not a reference.
    WindowStats stragglers = window(0, 0, 0, 0, 0, 0, 3);
    WindowStats candidate = window(0, 0, 300, 900, 523, 150, 27);
    Verdict v = Analysis.judge(T, stragglers, candidate, Optional.of(STABLE_BUCKETS));
    assertEquals(Outcome.PASSED, v.outcome(), v.findings());
    assertTrue(v.findings().contains("1.50 x earlier stable p99 14.4 ms"), v.findings());
    Verdict slow = Analysis.judge(T, WindowStats.EMPTY, new WindowStats(500, 0, 0.400), Optional.of(STABLE));
    assertEquals(Outcome.FAILED, slow.outcome());
    assertEquals("latency", slow.check());
    assertTrue(slow.findings().contains("earlier stable p99 100.0 ms"), slow.findings());
  }

  @Test
  void withoutEnoughStableTrafficOrBaselineLatencyIsNotComparedAndSaysSo() {
    Verdict v = Analysis.judge(T, new WindowStats(7, 0, 0.001), new WindowStats(500, 0, 9.0), Optional.empty());
    assertEquals(Outcome.PASSED, v.outcome());
    assertTrue(v.findings().contains("latency not compared: the stable version saw 7 of the 100 requests needed"),
        v.findings());
  }

  @Test
  void customThresholdsApply() {
    Thresholds strict = new Thresholds(0.01, 1.1, 10, Duration.ZERO, 0.01);
    assertEquals(Outcome.FAILED,
        Analysis.judge(strict, STABLE, new WindowStats(10, 0, 0.111), Optional.empty()).outcome());
    assertEquals(Outcome.FAILED,
        Analysis.judge(strict, STABLE, new WindowStats(100, 2, 0.1), Optional.empty()).outcome());
    assertEquals(Outcome.PASSED,
        Analysis.judge(strict, STABLE, new WindowStats(100, 1, 0.11), Optional.empty()).outcome());
  }
}
