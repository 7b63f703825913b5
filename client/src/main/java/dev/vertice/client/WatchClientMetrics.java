package dev.vertice.client;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code WatchClientMetrics} exports how current a data-plane component's pushed cache is: {@code
 * vertice_watch_staleness_seconds} (0 while in sync, else the time since sync was lost), {@code
 * vertice_watch_connected} and {@code vertice_watch_synced} (1 or 0), {@code
 * vertice_watch_responses_total} and {@code vertice_watch_nacks_total}. Gateways and sidecars bind
 * their {@link WatchClient} with it.
 *
 * <p>Micrometer is an optional dependency of this module: a caller of {@link #bind} has {@code
 * io.micrometer:micrometer-core} on its class path anyway (it passes a {@link MeterRegistry}); the
 * rest of the client works without it. The meters read the client when scraped and hold it
 * strongly; stateless and thread-safe.
 */
public final class WatchClientMetrics {

  private WatchClientMetrics() {}

  /**
   * {@code bind} adds the gauges and counters reading {@code client} to {@code registry}; binding
   * a second client to the same registry keeps the first one's meters (Micrometer's rule).
   */
  public static void bind(WatchClient client, MeterRegistry registry) {
    Gauge.builder("vertice.watch.staleness", client, c -> c.staleness().toNanos() / 1e9)
        .baseUnit("seconds")
        .description("How out of date the pushed cache may be: 0 while in sync with a control plane")
        .register(registry);
    Gauge.builder("vertice.watch.connected", client, c -> c.isConnected() ? 1 : 0)
        .description("1 while a Watch stream to a control plane is established").register(registry);
    Gauge.builder("vertice.watch.synced", client, c -> c.isSynced() ? 1 : 0)
        .description("1 while the pushed cache is in sync with a control plane").register(registry);
    FunctionCounter.builder("vertice.watch.responses", client, WatchClient::responsesReceived)
        .description("Watch responses received").register(registry);
    FunctionCounter.builder("vertice.watch.nacks", client, WatchClient::nacksSent)
        .description("Watch responses rejected (NACKed)").register(registry);
  }
}
