package dev.vertice.gateway.routing;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.gateway.balancer.Balancer;
import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.resilience.InstanceGuard;
import java.util.Objects;

/**
 * {@code Router} is the routing decision: one read of the current {@link RoutingTable}, then a
 * subset and instance pick among the instances whose breaker permits a call and that are not
 * ejected. Memory only, lock-free; callable on its own (the JMH benchmark measures {@link #route}).
 */
public final class Router {

  /** Admits instances that are not ejected and whose breaker permits a call (acquiring the permission). */
  public static final Balancer.Admission GUARDED = e -> RoutingState.instanceGuard(e).tryAcquire();

  private final RoutingState state;

  /** {@code Router} reads tables from {@code state}. */
  public Router(RoutingState state) {
    this.state = Objects.requireNonNull(state, "state");
  }

  /** {@code state} returns the routing state read. */
  public RoutingState state() {
    return state;
  }

  /**
   * {@code route} decides where a request to {@code service} (canonical name) goes. The returned
   * decision's endpoint, when present, holds a breaker permission: report the outcome through
   * {@link RoutingState#instanceGuard}.
   */
  public Decision route(String service, Protocol protocol, Balancer.Admission admit) {
    RoutingTable t = state.table();
    ServiceRoute r = t.route(service, protocol);
    if (r == null) {
      return t.knows(service) ? Decision.NO_INSTANCE : Decision.UNKNOWN;
    }
    Endpoint e = r.pick(admit);
    return e == null ? Decision.NO_INSTANCE : new Decision(Outcome.ROUTED, e);
  }

  /** {@code guard} returns the breaker and outlier state of {@code e}. */
  public static InstanceGuard guard(Endpoint e) {
    return RoutingState.instanceGuard(e);
  }

  /** What a routing decision found. */
  public enum Outcome {
    /** An instance was picked. */
    ROUTED,
    /** The snapshot holds no such service: 404. */
    UNKNOWN_SERVICE,
    /** The service exists but no instance can take the request now: 503. */
    NO_HEALTHY_INSTANCE
  }

  /**
   * {@code Decision} is the result of {@link #route}.
   *
   * @param outcome what was found
   * @param endpoint the picked instance when {@code outcome} is ROUTED, else null
   */
  public record Decision(Outcome outcome, Endpoint endpoint) {
    static final Decision UNKNOWN = new Decision(Outcome.UNKNOWN_SERVICE, null);
    static final Decision NO_INSTANCE = new Decision(Outcome.NO_HEALTHY_INSTANCE, null);
  }
}
