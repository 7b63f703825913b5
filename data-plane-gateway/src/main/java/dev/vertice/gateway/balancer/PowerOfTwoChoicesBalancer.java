package dev.vertice.gateway.balancer;

import java.util.List;

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
    return new TwoChoicePicker(endpoints) {
      @Override
      boolean prefers(Endpoint x, Endpoint y) {
        // Compare load per unit of weight without dividing: (ax+1)/wx <= (ay+1)/wy.
        return (long) (x.active() + 1) * y.weight() <= (long) (y.active() + 1) * x.weight();
      }
    };
  }
}
