package dev.vertice.gateway.balancer;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code PowerOfTwoChoicesBalancer} is least-request balancing by the power of two choices: draw
 * two distinct endpoints at random (each with probability proportional to its weight) and take
 * the one with fewer requests in flight per unit of weight. The default policy.
 *
 * <p>When the preferred candidates are not admitted (breaker open, ejected), the other one is
 * tried, then every endpoint from a random offset, so a pick fails only when none is admitted.
 */
public final class PowerOfTwoChoicesBalancer implements Balancer {

  /** The configuration name of this policy. */
  public static final String NAME = "least-request";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Picker picker(List<Endpoint> endpoints) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no endpoints to pick from");
    }
    return new P2cPicker(endpoints);
  }

  private static final class P2cPicker implements Picker {
    private final List<Endpoint> endpoints;
    private final Endpoint[] array;
    /** Cumulative weights, or null when every weight is equal (uniform draws). */
    private final long[] cumulative;
    private final long total;

    P2cPicker(List<Endpoint> endpoints) {
      this.endpoints = endpoints;
      this.array = endpoints.toArray(new Endpoint[0]);
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
    }

    @Override
    public List<Endpoint> endpoints() {
      return endpoints;
    }

    @Override
    public Endpoint pick(Admission admit) {
      Endpoint[] a = array;
      int n = a.length;
      if (n == 1) {
        return admit.admit(a[0]) ? a[0] : null;
      }
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int i = draw(random);
      int j = draw(random);
      if (j == i) {
        j = (i + 1 + random.nextInt(n - 1)) % n;
      }
      Endpoint x = a[i];
      Endpoint y = a[j];
      // Compare load per unit of weight without dividing: (ax+1)/wx <= (ay+1)/wy.
      long lx = (long) (x.active() + 1) * y.weight();
      long ly = (long) (y.active() + 1) * x.weight();
      Endpoint first = lx <= ly ? x : y;
      Endpoint second = first == x ? y : x;
      if (admit.admit(first)) {
        return first;
      }
      if (admit.admit(second)) {
        return second;
      }
      int start = random.nextInt(n);
      for (int k = 0; k < n; k++) {
        Endpoint e = a[(start + k) % n];
        if (e != first && e != second && admit.admit(e)) {
          return e;
        }
      }
      return null;
    }

    private int draw(ThreadLocalRandom random) {
      if (cumulative == null) {
        return random.nextInt(array.length);
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
}
