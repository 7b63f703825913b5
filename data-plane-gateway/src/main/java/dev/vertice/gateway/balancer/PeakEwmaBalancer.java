package dev.vertice.gateway.balancer;

import dev.vertice.common.PeakEwma;
import java.util.List;

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
    return new TwoChoicePicker(endpoints) {
      @Override
      boolean prefers(Endpoint x, Endpoint y) {
        return PeakEwma.cheaper(x.latency(), x.active(), x.weight(), y.latency(), y.active(), y.weight());
      }
    };
  }
}
