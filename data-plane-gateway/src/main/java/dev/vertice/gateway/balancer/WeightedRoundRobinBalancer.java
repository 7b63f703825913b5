package dev.vertice.gateway.balancer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code WeightedRoundRobinBalancer} cycles through the endpoints in proportion to their weights,
 * interleaved (nginx's smooth weighted round robin, precomputed once per snapshot): weights 5, 1, 1
 * give {@code a a b a c a a}, not {@code a a a a a b c}.
 *
 * <p>The schedule has one slot per unit of weight after dividing the weights by their greatest
 * common divisor, capped at {@value #MAX_SCHEDULE} slots (weights are scaled down beyond that, each
 * keeping at least one slot). Picks advance one shared atomic position: lock-free.
 */
public final class WeightedRoundRobinBalancer implements Balancer {

  /** The configuration name of this policy. */
  public static final String NAME = "round-robin";

  /** The most slots a schedule holds. */
  public static final int MAX_SCHEDULE = 4096;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Picker picker(List<Endpoint> endpoints) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no endpoints to pick from");
    }
    return new WrrPicker(endpoints, schedule(endpoints));
  }

  /** Builds the smooth weighted round-robin order of endpoint indexes. */
  static int[] schedule(List<Endpoint> endpoints) {
    int n = endpoints.size();
    long[] weights = new long[n];
    long gcd = 0;
    long sum = 0;
    for (int i = 0; i < n; i++) {
      weights[i] = endpoints.get(i).weight();
      gcd = gcd(gcd, weights[i]);
    }
    for (int i = 0; i < n; i++) {
      weights[i] /= gcd;
      sum += weights[i];
    }
    if (sum > MAX_SCHEDULE) {
      long scaled = 0;
      for (int i = 0; i < n; i++) {
        weights[i] = Math.max(1, weights[i] * Math.max(MAX_SCHEDULE - n, 1) / sum);
        scaled += weights[i];
      }
      sum = scaled;
    }
    long[] current = new long[n];
    List<Integer> order = new ArrayList<>((int) sum);
    for (long slot = 0; slot < sum; slot++) {
      int best = 0;
      for (int i = 0; i < n; i++) {
        current[i] += weights[i];
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= sum;
      order.add(best);
    }
    return order.stream().mapToInt(Integer::intValue).toArray();
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  private static final class WrrPicker implements Picker {
    private final List<Endpoint> endpoints;
    private final Endpoint[] array;
    private final int[] schedule;
    private final AtomicLong position = new AtomicLong();

    WrrPicker(List<Endpoint> endpoints, int[] schedule) {
      this.endpoints = endpoints;
      this.array = endpoints.toArray(new Endpoint[0]);
      this.schedule = schedule;
    }

    @Override
    public List<Endpoint> endpoints() {
      return endpoints;
    }

    @Override
    public Endpoint pick(Admission admit) {
      long start = position.getAndIncrement();
      int len = schedule.length;
      for (int k = 0; k < len; k++) {
        Endpoint e = array[schedule[(int) ((start + k) % len)]];
        if (admit.admit(e)) {
          if (k > 0) {
            position.addAndGet(k);
          }
          return e;
        }
      }
      return null;
    }
  }
}
