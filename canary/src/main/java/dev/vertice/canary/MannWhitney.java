package dev.vertice.canary;

import java.util.Arrays;
import java.util.Locale;

/**
 * {@code MannWhitney} is the one-sided Mann-Whitney U test (Wilcoxon rank-sum) that the latency
 * check uses, as Netflix's Kayenta judges canaries: is the candidate's latency stochastically
 * greater than the stable version's latency multiplied by an effect size?
 *
 * <p>The samples are bucketed ({@link LatencyBuckets}): every request of a bucket stands at the
 * bucket's middle, so the requests of one bucket tie, and the test uses mid-ranks with the tie
 * correction of the variance and the normal approximation with a continuity correction, as {@code
 * scipy.stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic")} does. The p-value is
 * the chance, were the candidate no slower than {@code effect} times stable, of a U at least this
 * large. Pure functions.
 */
public final class MannWhitney {

  private MannWhitney() {}

  /**
   * {@code Result} is one test.
   *
   * @param n1 size of the first sample (the candidate)
   * @param n2 size of the second sample (the stable version, scaled)
   * @param u the first sample's U statistic: pairs where it is greater, plus half the ties
   * @param z the standardised U, continuity-corrected; 0 when every value ties
   * @param pValue one-sided p-value of "the first sample is greater"
   */
  public record Result(long n1, long n2, double u, double z, double pValue) {

    /** Returns U / (n1 n2): the share of pairs in which the first sample is greater (ties count half). */
    public double probabilityGreater() {
      return u / ((double) n1 * n2);
    }

    /** Returns the figures in words, for example {@code "U = 4870.5, z = 2.31, p = 0.0104"}. */
    public String describe() {
      return String.format(Locale.ROOT, "U = %.1f, z = %.2f, p = %s", u, z, formatP(pValue));
    }
  }

  /**
   * Tests whether {@code candidate} is slower than {@code effect} times {@code stable}.
   *
   * @param effect the factor applied to every stable latency, {@code >= 1}; 1 tests a plain slowdown
   * @throws IllegalArgumentException when a sample is empty
   */
  public static Result slowerThan(LatencyBuckets candidate, LatencyBuckets stable, double effect) {
    int nc = candidate.counts().size();
    int ns = stable.counts().size();
    double[] x = new double[nc];
    long[] xc = new long[nc];
    for (int i = 0; i < nc; i++) {
      x[i] = candidate.representative(i);
      xc[i] = candidate.counts().get(i);
    }
    double[] y = new double[ns];
    long[] yc = new long[ns];
    for (int i = 0; i < ns; i++) {
      y[i] = stable.representative(i) * effect;
      yc[i] = stable.counts().get(i);
    }
    return greater(x, xc, y, yc);
  }

  /**
   * Tests whether the sample {@code x} (value {@code x[i]} seen {@code xCounts[i]} times) is
   * stochastically greater than the sample {@code y}.
   *
   * @throws IllegalArgumentException when a sample is empty or a count negative
   */
  public static Result greater(double[] x, long[] xCounts, double[] y, long[] yCounts) {
    if (x.length != xCounts.length || y.length != yCounts.length) {
      throw new IllegalArgumentException("one count per value is needed");
    }
    int k = x.length + y.length;
    double[] values = new double[k];
    long[] fromX = new long[k];
    long[] fromY = new long[k];
    Integer[] order = new Integer[k];
    long n1 = 0;
    long n2 = 0;
    for (int i = 0; i < x.length; i++) {
      values[i] = x[i];
      fromX[i] = xCounts[i];
      n1 += check(xCounts[i]);
    }
    for (int i = 0; i < y.length; i++) {
      values[x.length + i] = y[i];
      fromY[x.length + i] = yCounts[i];
      n2 += check(yCounts[i]);
    }
    if (n1 == 0 || n2 == 0) {
      throw new IllegalArgumentException("both samples need values: " + n1 + " and " + n2);
    }
    for (int i = 0; i < k; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
    double n = (double) n1 + n2;
    double rankSumX = 0;
    double tieTerm = 0; // sum of t^3 - t over the groups of tied values
    double before = 0;
    int i = 0;
    while (i < k) {
      double v = values[order[i]];
      double tx = 0;
      double ty = 0;
      while (i < k && values[order[i]] == v) {
        tx += fromX[order[i]];
        ty += fromY[order[i]];
        i++;
      }
      double t = tx + ty;
      if (t == 0) {
        continue;
      }
      double midRank = before + (t + 1) / 2;
      rankSumX += tx * midRank;
      tieTerm += t * t * t - t;
      before += t;
    }
    double u = rankSumX - (double) n1 * (n1 + 1) / 2;
    double mean = (double) n1 * n2 / 2;
    double variance = (double) n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)));
    if (!(variance > 0)) {
      return new Result(n1, n2, u, 0, 0.5);
    }
    double z = (u - mean - 0.5) / Math.sqrt(variance);
    return new Result(n1, n2, u, z, upperTail(z));
  }

  private static long check(long count) {
    if (count < 0) {
      throw new IllegalArgumentException("counts must be >= 0: " + count);
    }
    return count;
  }

  /** Returns P(Z > z) for a standard normal Z. */
  static double upperTail(double z) {
    return 0.5 * erfc(z / Math.sqrt(2));
  }

  /**
   * Complementary error function, with a fractional error below 1.2e-7 everywhere (the Chebyshev
   * fit of Numerical Recipes, {@code erfcc}).
   */
  static double erfc(double x) {
    double z = Math.abs(x);
    double t = 1 / (1 + 0.5 * z);
    double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? r : 2 - r;
  }

  static String formatP(double p) {
    if (p < 0.0001) {
      return String.format(Locale.ROOT, "%.1e", p);
    }
    return String.format(Locale.ROOT, "%.4f", p);
  }
}
