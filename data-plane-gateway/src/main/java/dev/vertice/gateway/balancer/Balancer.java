package dev.vertice.gateway.balancer;

import java.util.List;

/**
 * {@code Balancer} is a load-balancing policy: it builds a {@link Picker} for one immutable list of
 * endpoints (one version subset of one service in one routing snapshot).
 *
 * <p>Implementations are stateless factories; whatever state a policy needs across picks (a
 * round-robin position) lives in the picker, which is rebuilt when the snapshot changes.
 */
public interface Balancer {

  /** {@code name} returns the policy's name as configured, for example {@code "least-request"}. */
  String name();

  /**
   * {@code picker} returns a picker over {@code endpoints} (not empty, not copied: the caller passes
   * an immutable list).
   */
  Picker picker(List<Endpoint> endpoints);

  /** {@code Picker} chooses endpoints from a fixed list; thread-safe and lock-free. */
  interface Picker {

    /**
     * {@code pick} returns an endpoint that {@code admit} accepts, or null when it accepts none.
     * {@code admit} is called on candidates in the policy's order of preference and may have side
     * effects (a circuit breaker's permission): once it returns true the endpoint is returned.
     */
    Endpoint pick(Admission admit);

    /** {@code endpoints} returns the list the picker chooses from. */
    List<Endpoint> endpoints();
  }

  /** {@code Admission} decides whether a candidate endpoint may take the request. */
  @FunctionalInterface
  interface Admission {
    /** {@code admit} returns whether {@code e} may take the request. */
    boolean admit(Endpoint e);

    /** {@code ALL} admits every endpoint. */
    Admission ALL = e -> true;
  }

  /**
   * {@code of} returns the balancer named {@code name}: {@code least-request} (power of two choices),
   * {@code round-robin} (smooth weighted round robin) or {@code peak-ewma} (latency-aware power of
   * two choices).
   *
   * @throws IllegalArgumentException for any other name, quoting it
   */
  static Balancer of(String name) {
    switch (name) {
      case PowerOfTwoChoicesBalancer.NAME:
        return new PowerOfTwoChoicesBalancer();
      case WeightedRoundRobinBalancer.NAME:
        return new WeightedRoundRobinBalancer();
      case PeakEwmaBalancer.NAME:
        return new PeakEwmaBalancer();
      default:
        throw new IllegalArgumentException("unknown balancer '" + name + "': expected "
            + PowerOfTwoChoicesBalancer.NAME + ", " + WeightedRoundRobinBalancer.NAME + " or " + PeakEwmaBalancer.NAME);
    }
  }
}
