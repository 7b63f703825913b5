package dev.vertice.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The U test against values computed by hand and by {@code scipy.stats.mannwhitneyu(x, y,
 * alternative="greater", method="asymptotic", use_continuity=True)} (scipy 1.17.1): the statistic
 * exactly, the p-value to the precision of the normal tail approximation.
 */
class MannWhitneyTest {

  static long[] ones(int n) {
    long[] c = new long[n];
    java.util.Arrays.fill(c, 1);
    return c;
  }

  @Test
  void twoAgainstTwoByHand() {
    // x = {3, 4} above y = {1, 2} in all 4 pairs: U = 4, mean 2, variance 2*2/12*(4+1) = 5/3,
    // z = (4 - 2 - 0.5) / sqrt(5/3) = 1.16190, p = P(Z > 1.16190) = 0.122639.
    MannWhitney.Result r = MannWhitney.greater(new double[] {3, 4}, ones(2), new double[] {1, 2}, ones(2));
    assertEquals(4, r.u());
    assertEquals(1.5 / Math.sqrt(5.0 / 3), r.z(), 1e-12);
    assertEquals(0.1226390584033864, r.pValue(), 1e-7);
    assertEquals(1.0, r.probabilityGreater());
  }

  @Test
  void distinctValuesMatchScipy() {
    MannWhitney.Result r = MannWhitney.greater(new double[] {1.2, 3.4, 5.6, 7.8, 9.1}, ones(5),
        new double[] {0.5, 1.1, 2.2, 3.3}, ones(4));
    assertEquals(18, r.u());
    assertEquals(0.03309628986109672, r.pValue(), 1e-7);
  }

  @Test
  void tiesUseMidRanksAndTheTieCorrectionLikeScipy() {
    // x = [1]*3 + [2]*5 + [3]*2, y = [1]*6 + [2]*2 + [3] + [4]
    MannWhitney.Result r = MannWhitney.greater(new double[] {1, 2, 3}, new long[] {3, 5, 2},
        new double[] {1, 2, 3, 4}, new long[] {6, 2, 1, 1});
    assertEquals(61, r.u());
    assertEquals(0.19666726821430247, r.pValue(), 1e-7);
  }

  @Test
  void bucketsOfTheSameDistributionAreNotSlowerThanOneAndAHalfTimesStable() {
    // The same shape, 100 vs 2000 requests: the candidate's bucket middles against the stable
    // ones times 1.5. scipy: U = 71500, p = 0.99999975.
    LatencyBuckets stable = Histograms.buckets(0, 200, 800, 600, 300, 100);
    LatencyBuckets candidate = Histograms.buckets(0, 10, 40, 30, 15, 5);
    MannWhitney.Result r = MannWhitney.slowerThan(candidate, stable, 1.5);
    assertEquals(100, r.n1());
    assertEquals(2000, r.n2());
    assertEquals(71500, r.u());
    assertEquals(0.9999997524631498, r.pValue(), 1e-7);
  }

  @Test
  void fiftyMillisecondsSlowerIsSignificantBeyondDoubt() {
    // scipy: U = 200000 (every pair), p = 5.8e-70.
    LatencyBuckets stable = Histograms.buckets(0, 200, 800, 600, 300, 100);
    LatencyBuckets candidate = Histograms.buckets(0, 0, 0, 0, 0, 0, 60, 40);
    MannWhitney.Result r = MannWhitney.slowerThan(candidate, stable, 1.5);
    assertEquals(200000, r.u());
    assertEquals(1.0, r.probabilityGreater());
    assertTrue(r.pValue() < 1e-60, r.describe());
    assertEquals(5.7954369050658075e-70, r.pValue(), 5.8e-70 * 1e-3);
  }

  @Test
  void everyValueTiedIsNoEvidence() {
    MannWhitney.Result r = MannWhitney.greater(new double[] {1}, new long[] {10}, new double[] {1}, new long[] {20});
    assertEquals(100, r.u());
    assertEquals(0, r.z());
    assertEquals(0.5, r.pValue());
  }

  @Test
  void emptySamplesAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> MannWhitney.greater(new double[] {1}, new long[] {0}, new double[] {1}, new long[] {3}));
    assertThrows(IllegalArgumentException.class,
        () -> MannWhitney.greater(new double[] {1}, new long[] {-1}, new double[] {1}, new long[] {3}));
  }

  @Test
  void normalTailMatchesKnownValues() {
    assertEquals(0.5, MannWhitney.upperTail(0), 1e-7);
    assertEquals(0.15865525393145707, MannWhitney.upperTail(1), 1e-7);
    assertEquals(0.022750131948179195, MannWhitney.upperTail(2), 1e-8);
    assertEquals(0.9986501019683699, MannWhitney.upperTail(-3), 1e-7);
  }
}
