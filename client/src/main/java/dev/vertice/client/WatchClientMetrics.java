package dev.vertice.client;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code WatchClientMetrics} binds a {@link WatchClient}'s {@link WatchClientMeters} (how current a
 * data-plane component's pushed cache is) to a Micrometer registry; gateways bind theirs with it.
 *
 * <p>Micrometer is an optional dependency of this module: a caller of {@link #bind} has {@code
 * io.micrometer:micrometer-core} on its class path anyway (it passes a {@link MeterRegistry}); the
 * rest of the client works without it. The meters read the client when scraped and hold it weakly,
 * as Micrometer does: the caller keeps the client. Stateless and thread-safe.
 */
public final class WatchClientMetrics {

  private WatchClientMetrics() {}

  /**
   * {@code bind} adds the gauges and counters reading {@code client} to {@code registry}; binding
   * a second client to the same registry keeps the first one's meters (Micrometer's rule).
   */
  public static void bind(WatchClient client, MeterRegistry registry) {
    for (WatchClientMeters.Meter m : WatchClientMeters.ALL) {
      if (m.counter()) {
        FunctionCounter.builder(m.name(), client, m.read()).description(m.description()).register(registry);
      } else {
        Gauge.builder(m.name(), client, m.read()).baseUnit(m.baseUnit()).description(m.description())
            .register(registry);
      }
    }
  }
}
