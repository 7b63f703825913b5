package dev.vertice.gateway.balancer;

import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code WeightedDraw} draws an index into a fixed endpoint array with probability proportional to
 * each endpoint's weight: uniform when every weight is equal, else a binary search over cumulative
 * weights. Immutable; allocation-free.
 */
final class WeightedDraw {
  /** Cumulative weights, or null when every weight is equal (uniform draws). */
  private final long[] cumulative;
  private final long total;
  private final int n;

  WeightedDraw(Endpoint[] array) {
    boolean uniform = true;
    long[] cum = new long[array.length];
    long sum = 0;
    for (int i = 0; i < array.length; i++) {
      sum += array[i].weight();
      cum[i] = sum;
      uniform &= array[i].weight() == array[0].weight();
    }
    this.cumulative = uniform ? null : cum;
    this.total = sum;
    this.n = array.length;
  }

  int next(ThreadLocalRandom random) {
    if (cumulative == null) {
      return random.nextInt(n);
    }
    long r = random.nextLong(total);
    int lo = 0;
    int hi = cumulative.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumulative[mid] > r) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
}
