package dev.vertice.controlplane.store;

import java.util.List;

/**
 * {@code Percentiles} estimates quantiles from bucketed latency histograms. Pure functions.
 *
 * <p>Interpolation is linear inside the bucket that holds the wanted rank, as Prometheus's {@code
 * histogram_quantile} does: with {@code n} requests, the {@code q} quantile is the value at rank
 * {@code q * n}; in the bucket {@code (lower, upper]} that holds it, with {@code c} requests of
 * which {@code before} lie below it, the estimate is {@code lower + (upper - lower) * (q * n -
 * before) / c}, assuming requests spread evenly inside a bucket. The first bucket's lower edge is
 * 0. A rank that falls in the overflow bucket (above the last bound) is reported as the last bound:
 * nothing is known above it, so the estimate is a lower bound there, and an analysis comparing p99s
 * should use bounds that reach well past its threshold.
 */
public final class Percentiles {

  private Percentiles() {}

  /**
   * Returns the {@code q} quantile (0 &lt; q &le; 1) of the histogram in the unit of its bounds, or
   * NaN when it counts no request.
   *
   * @param bounds upper bounds, strictly increasing
   * @param counts {@code bounds.size() + 1} counts, the last for requests above the last bound
   * @throws IllegalArgumentException when {@code q} is outside (0, 1] or the sizes do not match
   */
  public static double quantile(List<Double> bounds, List<Long> counts, double q) {
    if (!(q > 0 && q <= 1)) {
      throw new IllegalArgumentException("quantile must be in (0, 1]: " + q);
    }
    if (counts.isEmpty()) {
      return Double.NaN;
    }
    if (counts.size() != bounds.size() + 1) {
      throw new IllegalArgumentException(bounds.size() + " bounds need " + (bounds.size() + 1) + " counts, not "
          + counts.size());
    }
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    if (total == 0) {
      return Double.NaN;
    }
    double rank = q * total;
    long before = 0;
    for (int i = 0; i < bounds.size(); i++) {
      long c = counts.get(i);
      if (c > 0 && before + c >= rank) {
        double lower = i == 0 ? 0 : bounds.get(i - 1);
        double upper = bounds.get(i);
        return lower + (upper - lower) * (rank - before) / c;
      }
      before += c;
    }
    return bounds.isEmpty() ? Double.NaN : bounds.get(bounds.size() - 1);
  }
}
