package dev.vertice.launcher;

import dev.vertice.controlplane.store.StatsLimits;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code StatsFlags} are the control plane's limits on reported stats (ReportStats), mapped to
 * {@link StatsLimits}, and how long the canary waits for other replicas' watchers; a value refused
 * is exit code 2 naming the flag.
 */
final class StatsFlags {

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = "--stats-max-entries-per-batch", defaultValue = "${env:VERTICE_STATS_MAX_ENTRIES_PER_BATCH:-1024}",
      description = "Most (service, version) entries in one ReportStats batch; more is INVALID_ARGUMENT"
          + " (VERTICE_STATS_MAX_ENTRIES_PER_BATCH). Default: ${DEFAULT-VALUE}.")
  int maxEntriesPerBatch;

  @Option(names = "--stats-max-entries-per-reporter",
      defaultValue = "${env:VERTICE_STATS_MAX_ENTRIES_PER_REPORTER:-2048}",
      description = "Most stats entries one reporter (with --auth on: one authenticated identity) may send per"
          + " second to this replica; more is RESOURCE_EXHAUSTED (VERTICE_STATS_MAX_ENTRIES_PER_REPORTER)."
          + " Default: ${DEFAULT-VALUE}.")
  int maxEntriesPerReporter;

  @Option(names = "--stats-max-entries-per-second", defaultValue = "${env:VERTICE_STATS_MAX_ENTRIES_PER_SECOND:-20000}",
      description = "Most stats entries all reporters together may send per second to this replica; more is"
          + " RESOURCE_EXHAUSTED (VERTICE_STATS_MAX_ENTRIES_PER_SECOND). Default: ${DEFAULT-VALUE}.")
  int maxEntriesPerSecond;

  @Option(names = "--stats-max-requests-per-entry",
      defaultValue = "${env:VERTICE_STATS_MAX_REQUESTS_PER_ENTRY:-1000000}",
      description = "Most requests one entry (one version, one reporter, one interval) may count; more is"
          + " INVALID_ARGUMENT (VERTICE_STATS_MAX_REQUESTS_PER_ENTRY). Default: ${DEFAULT-VALUE}.")
  long maxRequestsPerEntry;

  @Option(names = "--stats-max-series", defaultValue = "${env:VERTICE_STATS_MAX_SERIES:-1024}",
      description = "Most (service, version) series of stats held (in Redis: by all replicas); entries of new"
          + " series beyond it are dropped and counted, except versions in a rollout's policy"
          + " (VERTICE_STATS_MAX_SERIES). Default: ${DEFAULT-VALUE}.")
  int maxSeries;

  @Option(names = "--canary-fleet-timeout", defaultValue = "${env:VERTICE_CANARY_FLEET_TIMEOUT:-30s}",
      converter = DurationConverter.class,
      description = "With a shared store, how long the canary waits for every other replica's watchers to answer"
          + " a rollout's weights before calling them converged without that replica (logged and counted)"
          + " (VERTICE_CANARY_FLEET_TIMEOUT). Default: ${DEFAULT-VALUE}.")
  Duration fleetTimeout;

  /** Returns the canary's fleet timeout, or fails with exit code 2 when it is not positive. */
  Duration fleetTimeout() {
    if (fleetTimeout.isNegative() || fleetTimeout.isZero()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --canary-fleet-timeout: must be"
          + " positive: " + fleetTimeout);
    }
    return fleetTimeout;
  }

  /** Returns the limits, or fails with exit code 2 naming the flag whose value is refused. */
  StatsLimits limits() {
    StatsLimits.Builder b = StatsLimits.custom();
    set("--stats-max-entries-per-batch", () -> b.maxEntriesPerBatch(maxEntriesPerBatch));
    set("--stats-max-entries-per-reporter", () -> b.maxEntriesPerReporterPerSecond(maxEntriesPerReporter));
    set("--stats-max-entries-per-second", () -> b.maxEntriesPerSecond(maxEntriesPerSecond));
    set("--stats-max-requests-per-entry", () -> b.maxRequestsPerEntry(maxRequestsPerEntry));
    set("--stats-max-series", () -> b.maxSeries(maxSeries));
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --stats-max-entries-per-reporter: "
          + e.getMessage());
    }
  }

  private void set(String option, Runnable setter) {
    try {
      setter.run();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + e.getMessage());
    }
  }
}
