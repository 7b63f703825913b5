package dev.vertice.controlplane.store.memory;

import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.store.LatencyHistogram;
import dev.vertice.controlplane.store.StatsLimits;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StatsWindow;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * {@code InMemoryStatsStore} keeps, per (service, version), a ring of one-second buckets covering
 * the retention.
 *
 * <p>Memory is bounded by the number of series times the ring: at most {@code maxSeries} series
 * (a series silent for longer than the retention is evicted to make room; when none is, an entry of
 * a new series is dropped, counted in {@link #droppedStats()} and logged, unless the caller says to
 * keep it: a version in a rollout's policy always gets its series), each with {@code retention}
 * buckets of at most {@link StatsStore#MAX_MERGED_BOUNDS} + 1 counts: about 560 bytes per series
 * per second in the worst case of every series reporting every second with 64 bounds (1024 series ×
 * 900 s ≈ 500 MB); series reporting a dozen bounds, or not every second, use a fraction of that.
 *
 * <p>Thread-safe: one lock per series.
 */
public final class InMemoryStatsStore implements StatsStore {

  private static final Logger log = Logger.getLogger(InMemoryStatsStore.class.getName());

  /** Default most series (service × version) held: {@link StatsLimits#DEFAULT_MAX_SERIES}. */
  public static final int DEFAULT_MAX_SERIES = StatsLimits.DEFAULT_MAX_SERIES;

  private record Key(String service, String version) {}

  /** One second of one series. */
  private static final class Bucket {
    long second = Long.MIN_VALUE;
    long requests;
    long errors;
    /** Counts per series bound, plus overflow; null when no latency was reported this second. */
    long[] counts;
  }

  private static final class Series {
    final Bucket[] ring;
    /** The union of the bounds reported, sorted; every bucket's counts follow it. */
    double[] bounds = new double[0];
    long lastSecond = Long.MIN_VALUE;

    Series(int seconds) {
      ring = new Bucket[seconds];
    }
  }

  private final ConcurrentHashMap<Key, Series> series = new ConcurrentHashMap<>();
  private final int seconds;
  private final int maxSeries;
  private final AtomicLong dropped = new AtomicLong();

  /** Creates a store keeping {@code retention} (whole seconds) for at most {@code maxSeries} series. */
  public InMemoryStatsStore(Duration retention, int maxSeries) {
    if (retention.toSeconds() < 1 || retention.toSeconds() > 86_400) {
      throw new IllegalArgumentException("stats retention must be 1 s to 1 day: " + retention);
    }
    if (maxSeries < 1) {
      throw new IllegalArgumentException("maxSeries must be positive: " + maxSeries);
    }
    this.seconds = (int) retention.toSeconds();
    this.maxSeries = maxSeries;
  }

  /** Creates a store with the default retention and series limit. */
  public static InMemoryStatsStore ofDefaults() {
    return new InMemoryStatsStore(DEFAULT_RETENTION, DEFAULT_MAX_SERIES);
  }

  @Override
  public void add(long epochSecond, List<VersionStats> stats) {
    add(epochSecond, stats, v -> false);
  }

  @Override
  public int add(long epochSecond, List<VersionStats> stats, Predicate<VersionStats> alwaysKeep) {
    int droppedNow = 0;
    for (VersionStats v : stats) {
      Series s = series(new Key(v.getService(), v.getVersion()), epochSecond, alwaysKeep.test(v));
      if (s == null) {
        droppedNow++;
        long before = dropped.getAndIncrement();
        if ((before & (before + 1)) == 0) { // the 1st, 2nd, 4th, 8th... drop: logged, never silent
          log.warning("stats series limit (" + maxSeries + " (service, version) series) reached: dropped the"
              + " stats of " + v.getService() + "/" + v.getVersion() + " (" + (before + 1) + " entries dropped so"
              + " far; raise --stats-max-series)");
        }
        continue;
      }
      synchronized (s) {
        s.lastSecond = Math.max(s.lastSecond, epochSecond);
        Bucket b = bucket(s, epochSecond);
        b.requests += v.getRequests();
        b.errors += v.getErrors();
        if (v.getLatencyCountsCount() > 0) {
          addLatency(s, b, v.getLatencyBoundsSecondsList(), v.getLatencyCountsList());
        }
      }
    }
    return droppedNow;
  }

  @Override
  public StatsWindow window(String service, String version, long fromMillis, long toMillis) {
    long[] range = StatsStore.seconds(fromMillis, toMillis, seconds);
    Series s = series.get(new Key(service, version));
    long requests = 0;
    long errors = 0;
    LatencyHistogram latency = LatencyHistogram.EMPTY;
    if (s != null) {
      synchronized (s) {
        // Every bucket's counts follow the series' bounds (insertBound keeps them aligned): sum them.
        long[] sum = null;
        for (long sec = range[0]; sec <= range[1]; sec++) {
          Bucket b = s.ring[(int) Math.floorMod(sec, (long) seconds)];
          if (b == null || b.second != sec) {
            continue;
          }
          requests += b.requests;
          errors += b.errors;
          if (b.counts != null) {
            if (sum == null) {
              sum = new long[s.bounds.length + 1];
            }
            for (int i = 0; i < sum.length; i++) {
              sum[i] += b.counts[i];
            }
          }
        }
        if (sum != null) {
          latency = new LatencyHistogram(Arrays.stream(s.bounds).boxed().toList(), Arrays.stream(sum).boxed().toList());
        }
      }
    }
    return new StatsWindow(service, version, range[0] * 1000, (range[1] + 1) * 1000, requests, errors, latency);
  }

  @Override
  public Duration retention() {
    return Duration.ofSeconds(seconds);
  }

  /** Returns how many VersionStats were dropped because {@code maxSeries} series were active. */
  public long droppedStats() {
    return dropped.get();
  }

  /** Returns the number of series held. */
  @Override
  public long seriesCount() {
    return series.size();
  }

  @Override
  public void close() {
    series.clear();
  }

  private Series series(Key key, long now, boolean keep) {
    Series s = series.get(key);
    if (s != null) {
      return s;
    }
    if (series.size() >= maxSeries) {
      // Make room from series that have been silent for the whole retention.
      series.entrySet().removeIf(e -> {
        synchronized (e.getValue()) {
          return e.getValue().lastSecond < now - seconds;
        }
      });
    }
    synchronized (series) {
      s = series.get(key);
      if (s == null && (series.size() < maxSeries || keep)) {
        s = new Series(seconds);
        series.put(key, s);
      }
      return s;
    }
  }

  /** Caller holds the series lock. */
  private Bucket bucket(Series s, long second) {
    int i = (int) Math.floorMod(second, (long) seconds);
    Bucket b = s.ring[i];
    if (b == null) {
      b = new Bucket();
      s.ring[i] = b;
    }
    if (b.second != second) {
      b.second = second;
      b.requests = 0;
      b.errors = 0;
      b.counts = null;
    }
    return b;
  }

  /** Caller holds the series lock. */
  private static void addLatency(Series s, Bucket b, List<Double> bounds, List<Long> counts) {
    for (double bound : bounds) {
      if (Arrays.binarySearch(s.bounds, bound) < 0 && s.bounds.length < MAX_MERGED_BOUNDS) {
        insertBound(s, bound);
      }
    }
    if (b.counts == null) {
      b.counts = new long[s.bounds.length + 1];
    }
    for (int i = 0; i < bounds.size(); i++) {
      b.counts[slot(s.bounds, bounds.get(i))] += counts.get(i);
    }
    b.counts[s.bounds.length] += counts.get(bounds.size());
  }

  /** The index of {@code bound}, or of the next larger bound (overflow last) when it is not kept. */
  private static int slot(double[] bounds, double bound) {
    int i = Arrays.binarySearch(bounds, bound);
    return i >= 0 ? i : -i - 1;
  }

  /** Adds a bound to the series, shifting every bucket's counts to follow. */
  private static void insertBound(Series s, double bound) {
    int at = -Arrays.binarySearch(s.bounds, bound) - 1;
    double[] nb = new double[s.bounds.length + 1];
    System.arraycopy(s.bounds, 0, nb, 0, at);
    nb[at] = bound;
    System.arraycopy(s.bounds, at, nb, at + 1, s.bounds.length - at);
    s.bounds = nb;
    for (Bucket b : s.ring) {
      if (b != null && b.counts != null) {
        long[] nc = new long[b.counts.length + 1];
        System.arraycopy(b.counts, 0, nc, 0, at);
        System.arraycopy(b.counts, at, nc, at + 1, b.counts.length - at);
        b.counts = nc;
      }
    }
  }
}
