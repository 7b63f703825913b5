package dev.vertice.gateway.balancer;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code TwoChoicePicker} is the power of two choices shared by the least-request and peak-EWMA
 * policies: draw two distinct endpoints at random (each with probability proportional to its
 * weight) and try the one {@link #prefers(Endpoint, Endpoint)} says first. When the preferred
 * candidates are not admitted (breaker open, ejected), the other one is tried, then every endpoint
 * from a random offset, so a pick fails only when none is admitted. Immutable; allocation-free.
 */
abstract class TwoChoicePicker implements Balancer.Picker {
  private final List<Endpoint> endpoints;
  private final Endpoint[] array;
  private final WeightedDraw draw;

  TwoChoicePicker(List<Endpoint> endpoints) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no endpoints to pick from");
    }
    this.endpoints = endpoints;
    this.array = endpoints.toArray(new Endpoint[0]);
    this.draw = new WeightedDraw(array);
  }

  /** Returns whether {@code x} is to be tried before {@code y}. */
  abstract boolean prefers(Endpoint x, Endpoint y);

  @Override
  public final List<Endpoint> endpoints() {
    return endpoints;
  }

  @Override
  public final Endpoint pick(Balancer.Admission admit) {
    Endpoint[] a = array;
    int n = a.length;
    if (n == 1) {
      return admit.admit(a[0]) ? a[0] : null;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int i = draw.next(random);
    int j = draw.next(random);
    if (j == i) {
      j = (i + 1 + random.nextInt(n - 1)) % n;
    }
    Endpoint x = a[i];
    Endpoint y = a[j];
    Endpoint first = prefers(x, y) ? x : y;
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
}
