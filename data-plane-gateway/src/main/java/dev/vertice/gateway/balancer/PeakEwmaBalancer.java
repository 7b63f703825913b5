package dev.vertice.gateway.balancer;

import dev.vertice.common.PeakEwma;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code PeakEwmaBalancer} is latency-aware balancing by the power of two choices (Finagle's and
 * Linkerd's peak EWMA): draw two distinct endpoints at random (each with probability proportional
 * to its weight) and take the one of lower cost, {@code latency estimate × (in-flight + 1) /
 * weight} ({@link dev.vertice.common.PeakEwma#cost}). A slow instance's estimate jumps to its slow
 * responses at once, so it loses nearly every comparison; it decays while the instance is idle, so
 * it is tried again now and then and regains its share once it is fast again.
 *
 * <p>When the preferred candidates are not admitted (breaker open, ejected), the other one is
 * tried, then every endpoint from a random offset, so a pick fails only when none is admitted.
 * The estimates live in the endpoints (shared across snapshots); latencies are recorded by whoever
 * ends the request ({@link Endpoint#end(long)}).
 */
public final class PeakEwmaBalancer implements Balancer {

  /** The configuration name of this policy. */
  public static final String NAME = "peak-ewma";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Picker picker(List<Endpoint> endpoints) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no endpoints to pick from");
    }
    return new EwmaPicker(endpoints);
  }

  private static final class EwmaPicker implements Picker {
    private final List<Endpoint> endpoints;
    private final Endpoint[] array;
    private final WeightedDraw draw;

    EwmaPicker(List<Endpoint> endpoints) {
      this.endpoints = endpoints;
      this.array = endpoints.toArray(new Endpoint[0]);
      this.draw = new WeightedDraw(array);
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
      int i = draw.next(random);
      int j = draw.next(random);
      if (j == i) {
        j = (i + 1 + random.nextInt(n - 1)) % n;
      }
      Endpoint x = a[i];
      Endpoint y = a[j];
      Endpoint first = PeakEwma.cheaper(x.latency(), x.active(), x.weight(), y.latency(), y.active(), y.weight())
          ? x : y;
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
}
