package dev.vertice.controlplane.store;

import dev.vertice.api.stats.v1.VersionStats;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@code StatsStore} holds the request statistics that gateways and sidecars report per (service,
 * version), in one-second buckets keyed by the control plane's wall-clock second at receipt, and
 * answers windows of them for canary analysis.
 *
 * <p>The in-memory store ({@code InMemoryStatsStore}) sees what this replica received; the Redis
 * store sums every replica's reports, so a controller on any replica sees all the traffic. Buckets
 * older than {@link #retention()} are gone. Implementations are thread-safe.
 */
public interface StatsStore extends AutoCloseable {

  /** How long buckets are kept by default: 15 minutes. */
  Duration DEFAULT_RETENTION = Duration.ofMinutes(15);
  /** Most distinct latency bounds kept per (service, version) (and per second in Redis). */
  int MAX_MERGED_BOUNDS = 64;

  /**
   * Adds validated stats (canonical service names, consistent counts) received during wall-clock
   * second {@code epochSecond}, none of them kept beyond the series limit (see the three-argument
   * form).
   */
  default void add(long epochSecond, List<VersionStats> stats) throws StoreUnavailableException {
    add(epochSecond, stats, v -> false);
  }

  /**
   * Adds validated stats received during second {@code epochSecond}. An entry that would start a
   * new (service, version) series while the store holds its limit of series is dropped, unless
   * {@code alwaysKeep} accepts it (a version in a rollout's policy): the other entries are added.
   *
   * @return how many entries were dropped at the series limit (0 when all were added)
   */
  int add(long epochSecond, List<VersionStats> stats, Predicate<VersionStats> alwaysKeep)
      throws StoreUnavailableException;

  /**
   * Returns the number of (service, version) series held (in Redis: reported within the retention),
   * for the {@code vertice_stats_series} gauge.
   */
  long seriesCount() throws StoreUnavailableException;

  /**
   * Returns the sums of the buckets of {@code service}/{@code version} whose second overlaps {@code
   * [fromMillis, toMillis)} (epoch milliseconds): a window is whole seconds, from the second holding
   * {@code fromMillis} to the one holding {@code toMillis - 1}. Only the last {@link #retention()} of
   * a longer window can hold data.
   *
   * @throws IllegalArgumentException when {@code toMillis <= fromMillis}
   */
  StatsWindow window(String service, String version, long fromMillis, long toMillis) throws StoreUnavailableException;

  /** Returns how long buckets are kept. */
  Duration retention();

  @Override
  void close();

  /** Checks a window's ends; returns {first second, last second}, clipped to {@code retentionSeconds}. */
  static long[] seconds(long fromMillis, long toMillis, long retentionSeconds) {
    if (toMillis <= fromMillis) {
      throw new IllegalArgumentException("a stats window must end after it starts: [" + fromMillis + ", " + toMillis
          + ")");
    }
    long last = Math.floorDiv(toMillis - 1, 1000);
    long first = Math.max(Math.floorDiv(fromMillis, 1000), last - retentionSeconds + 1);
    return new long[] {first, last};
  }
}
