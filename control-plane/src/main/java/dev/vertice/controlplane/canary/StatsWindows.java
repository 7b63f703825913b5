package dev.vertice.controlplane.canary;

import dev.vertice.canary.WindowStats;
import java.time.Instant;

/** {@code StatsWindows} answers how one version of a service did over a time window, as the data plane reported. */
@FunctionalInterface
public interface StatsWindows {

  /** Returns the requests, errors and p99 of {@code version} of {@code service} in {@code [from, to)}. */
  WindowStats window(String service, String version, Instant from, Instant to);
}
