package dev.vertice.controlplane.metrics;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.server.StatsGrpcService;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * {@code StatsMetrics} exports the reported-stats keyspace and what was not kept of it (Prometheus
 * names): {@code vertice_stats_series} (gauge: (service, version) series held; in Redis, every
 * replica's, read with one ZCARD per scrape, NaN when Redis cannot be reached) and {@code
 * vertice_stats_dropped_entries_total{reason}} ({@code unknown_series}: no instance or policy names
 * the version; {@code series_limit}: the store held its limit of series), counted by the replica
 * that received them; and, for the canary's policy convergence, {@code
 * vertice_canary_policy_nacks_total} (policy revisions some watcher NACKed: not waited on) and
 * {@code vertice_canary_policy_fleet_timeouts_total} (revisions declared converged without a live
 * replica's answer after the fleet timeout), counted by the canary lease holder.
 */
public final class StatsMetrics {

  private StatsMetrics() {}

  /** Registers the meters of {@code controlPlane}'s stats in {@code registry}. */
  public static void bind(MeterRegistry registry, ControlPlane controlPlane) {
    Gauge.builder("vertice.stats.series", controlPlane.stats(), StatsMetrics::series)
        .description("(service, version) series of reported stats held").register(registry);
    for (String reason : List.of(StatsGrpcService.DROPPED_UNKNOWN, StatsGrpcService.DROPPED_SERIES_LIMIT)) {
      FunctionCounter.builder("vertice.stats.dropped.entries", controlPlane, cp -> cp.statsDropped(reason))
          .tag("reason", reason).description("Reported stats entries not kept, by reason").register(registry);
    }
    FunctionCounter.builder("vertice.canary.policy.nacks", controlPlane, cp -> cp.policyPublisher().nackedPolicies())
        .description("Rollout policy revisions that some watcher NACKed (not waited on)").register(registry);
    FunctionCounter.builder("vertice.canary.policy.fleet.timeouts", controlPlane,
            cp -> cp.policyPublisher().fleetTimeouts())
        .description("Rollout policy revisions declared converged without some replica's answer").register(registry);
  }

  private static double series(StatsStore store) {
    try {
      return store.seriesCount();
    } catch (StoreUnavailableException e) {
      return Double.NaN;
    }
  }
}
