package dev.vertice.controlplane.store.redis;

import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.store.LatencyHistogram;
import dev.vertice.controlplane.store.StatsLimits;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StatsWindow;
import dev.vertice.controlplane.store.StoreUnavailableException;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * {@code RedisStatsStore} keeps request stats in Redis, one hash per (service, version, second)
 * incremented with HINCRBY by a Lua script per batch, so that a controller on any replica sees the
 * stats reported to every replica.
 *
 * <p>Each hash expires after the retention (plus a minute), and a sorted set of the series
 * reported within that time ({@code <prefix>:stats:series}) holds at most {@code maxSeries} series
 * (plus those of versions in a rollout's policy), so Redis holds at most that many series times the
 * seconds retained: with 1024 series × 960 s, under a million hashes. A bucket keeps at most {@link
 * StatsStore#MAX_MERGED_BOUNDS} distinct latency bounds; counts at further bounds go to the overflow
 * bucket. A batch is added {@value #ADD_CHUNK_ENTRIES} entries per script call so that registry
 * writes slip in between. Thread-safe.
 */
public final class RedisStatsStore implements StatsStore {

  /** Seconds read by one script call: each call blocks Redis for a few milliseconds at most. */
  static final int WINDOW_CHUNK_SECONDS = 60;
  /** Entries added by one script call: a few milliseconds of Redis at most. */
  static final int ADD_CHUNK_ENTRIES = 32;

  private final ScriptedRedis redis;
  private final Duration retention;
  private final int maxSeries;

  /** Creates a store on {@code redis} (not closed by {@link #close()}) keeping {@code retention}, default series limit. */
  public RedisStatsStore(ScriptedRedis redis, Duration retention) {
    this(redis, retention, StatsLimits.DEFAULT_MAX_SERIES);
  }

  /** Creates a store on {@code redis} keeping {@code retention} of at most {@code maxSeries} series. */
  public RedisStatsStore(ScriptedRedis redis, Duration retention, int maxSeries) {
    if (retention.toSeconds() < 1 || retention.toSeconds() > 86_400) {
      throw new IllegalArgumentException("stats retention must be 1 s to 1 day: " + retention);
    }
    if (maxSeries < 1) {
      throw new IllegalArgumentException("maxSeries must be positive: " + maxSeries);
    }
    this.redis = redis;
    this.retention = Duration.ofSeconds(retention.toSeconds());
    this.maxSeries = maxSeries;
  }

  @Override
  public int add(long epochSecond, List<VersionStats> stats, Predicate<VersionStats> alwaysKeep)
      throws StoreUnavailableException {
    int dropped = 0;
    for (int from = 0; from < stats.size(); from += ADD_CHUNK_ENTRIES) {
      dropped += addChunk(epochSecond, stats.subList(from, Math.min(stats.size(), from + ADD_CHUNK_ENTRIES)),
          alwaysKeep);
    }
    return dropped;
  }

  private int addChunk(long epochSecond, List<VersionStats> stats, Predicate<VersionStats> alwaysKeep)
      throws StoreUnavailableException {
    List<Object> args = new ArrayList<>();
    args.add(epochSecond);
    args.add(retention.toSeconds() + 60);
    args.add(MAX_MERGED_BOUNDS);
    args.add(maxSeries);
    args.add(stats.size());
    for (VersionStats v : stats) {
      args.add(alwaysKeep.test(v) ? 1 : 0);
      args.add(v.getService());
      args.add(v.getVersion());
      args.add(Long.toUnsignedString(v.getRequests()));
      args.add(Long.toUnsignedString(v.getErrors()));
      if (v.getLatencyCountsCount() == 0) {
        args.add(-1);
        continue;
      }
      args.add(v.getLatencyBoundsSecondsCount());
      for (double b : v.getLatencyBoundsSecondsList()) {
        args.add(Double.toString(b));
      }
      for (long c : v.getLatencyCountsList()) {
        args.add(Long.toUnsignedString(c));
      }
    }
    Long dropped = redis.eval("stats_add", ScriptOutputType.INTEGER, args.toArray());
    return dropped.intValue();
  }

  @Override
  public long seriesCount() throws StoreUnavailableException {
    return redis.call(c -> c.zcard(redis.key("stats:series")));
  }

  @Override
  public StatsWindow window(String service, String version, long fromMillis, long toMillis)
      throws StoreUnavailableException {
    long[] range = StatsStore.seconds(fromMillis, toMillis, retention.toSeconds());
    long requests = 0;
    long errors = 0;
    TreeMap<Double, Long> buckets = new TreeMap<>();
    long overflow = 0;
    boolean measured = false;
    // A script blocks Redis while it runs: read long windows a chunk of seconds per script, so that
    // registry writes and log reads slip in between.
    for (long first = range[0]; first <= range[1]; first += WINDOW_CHUNK_SECONDS) {
      long last = Math.min(range[1], first + WINDOW_CHUNK_SECONDS - 1);
      List<Object> flat = redis.eval("stats_window", ScriptOutputType.MULTI, service, version, first, last);
      for (int i = 0; i + 1 < flat.size(); i += 2) {
        String field = ScriptedRedis.string(flat.get(i));
        long value = Long.parseLong(ScriptedRedis.string(flat.get(i + 1)));
        switch (field) {
          case "n" -> requests += value;
          case "e" -> errors += value;
          case "b:inf" -> {
            overflow += value;
            measured = true;
          }
          default -> {
            if (field.startsWith("b:")) {
              buckets.merge(Double.parseDouble(field.substring(2)), value, Long::sum);
              measured = true;
            }
          }
        }
      }
    }
    LatencyHistogram latency = LatencyHistogram.EMPTY;
    if (measured) {
      List<Long> counts = new ArrayList<>(buckets.values());
      counts.add(overflow);
      latency = new LatencyHistogram(new ArrayList<>(buckets.keySet()), counts);
    }
    return new StatsWindow(service, version, range[0] * 1000, (range[1] + 1) * 1000, requests, errors, latency);
  }

  @Override
  public Duration retention() {
    return retention;
  }

  @Override
  public void close() {}
}
