package dev.vertice.client;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * {@code WatchClientMeters} describe the meters that show how current a data-plane component's
 * pushed cache is, without a metrics library: {@link WatchClientMetrics} binds them to Micrometer
 * (the gateway), the sidecar to its own small registry. Named as Micrometer names them; exported as
 * {@code vertice_watch_staleness_seconds} (0 while in sync, else the time since sync was lost),
 * {@code vertice_watch_connected} and {@code vertice_watch_synced} (1 or 0), {@code
 * vertice_watch_responses_total} and {@code vertice_watch_nacks_total}.
 */
public final class WatchClientMeters {

  /**
   * One meter: a gauge, or a counter ({@code counter}) whose value {@code read} takes from the client
   * at each scrape; {@code baseUnit} is null or ends the exported name.
   */
  public record Meter(String name, String baseUnit, boolean counter, String description,
      ToDoubleFunction<WatchClient> read) {}

  /** Every meter of a watch client, in the order they are registered. */
  public static final List<Meter> ALL = List.of(
      new Meter("vertice.watch.staleness", "seconds", false,
          "How out of date the pushed cache may be: 0 while in sync with a control plane",
          c -> c.staleness().toNanos() / 1e9),
      new Meter("vertice.watch.connected", null, false, "1 while a Watch stream to a control plane is established",
          c -> c.isConnected() ? 1 : 0),
      new Meter("vertice.watch.synced", null, false, "1 while the pushed cache is in sync with a control plane",
          c -> c.isSynced() ? 1 : 0),
      new Meter("vertice.watch.responses", null, true, "Watch responses received", WatchClient::responsesReceived),
      new Meter("vertice.watch.nacks", null, true, "Watch responses rejected (NACKed)", WatchClient::nacksSent));

  private WatchClientMeters() {}
}
