package dev.vertice.controlplane.autoscale;

import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.store.Percentiles;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code LoadSignals} turns the stats batches gateways report into live load signals per service
 * and version, and tells watchers when a service becomes active or idle.
 *
 * <p>It keeps each reporter's latest batch only: a reporter sends one batch per interval (typically
 * 1 s) and nothing when idle, so the latest batch is the reporter's current load, and the signals
 * follow the load within one interval. A batch counts for {@link AutoscaleConfig#staleIntervals()}
 * of its reporter's intervals after it arrived, then the reporter counts as idle. Rates are the
 * batch's counts over its own interval, summed over the reporters; in-flight counts are summed;
 * the p99 is taken from the reporters' histograms merged; the error rate is errors over requests.
 *
 * <p>Watchers ({@link #watch}) hear the activity at once and then each change, on the thread that
 * delivered the batch (or the sweeper's when a batch goes stale): a listener must not block. Only
 * what this replica receives is seen (with Redis, each replica sees the gateways connected to it).
 * Thread-safe.
 */
public final class LoadSignals implements AutoCloseable {

  private static final Logger log = Logger.getLogger(LoadSignals.class.getName());

  /** A reporter's interval is taken as at least this long (a batch of a shorter one is not a rate). */
  static final long MIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  /** A reporter's interval is taken as at most this long. */
  static final long MAX_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);
  /** Most services remembered as seen in stats (least recently reported forgotten first). */
  static final int MAX_SEEN_SERVICES = 10_000;
  /** Exports to the metrics listener at most this often. */
  static final long EXPORT_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final AutoscaleConfig config;
  private final Ticker ticker;
  private final Object lock = new Object();
  private final Map<String, Report> reports = new HashMap<>(); // guarded by lock
  private final Map<String, List<Watch>> watches = new HashMap<>(); // guarded by lock; by service
  private int watchCount; // guarded by lock
  private boolean dirty; // guarded by lock
  private long lastExportNanos; // guarded by lock
  private final Map<String, Boolean> seen = new LinkedHashMap<>(16, 0.75f, true) { // guarded by lock
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > MAX_SEEN_SERVICES;
    }
  };
  private final AtomicLong droppedReports = new AtomicLong();
  private volatile Consumer<List<Row>> exporter = rows -> {};
  private ScheduledFuture<?> sweeper; // guarded by lock

  /** One reporter's latest batch, by service. */
  private record Report(long expiresNanos, double seconds, Map<String, List<VersionStats>> byService) {}

  /**
   * {@code Row} is one exported line: the signals of one version of a service, or of the whole
   * service when {@code version} is null.
   */
  public record Row(String service, String version, Signals signals) {}

  /** {@code ActivityListener} hears whether a watched service is active. Must not block. */
  @FunctionalInterface
  public interface ActivityListener {
    /** Called with the activity when the watch starts, then at each change. */
    void onActivity(boolean active);
  }

  /** Creates the signals; call {@link #start} to drop stale batches on time. */
  public LoadSignals(AutoscaleConfig config, Ticker ticker) {
    this.config = Objects.requireNonNull(config, "config");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /** Starts the sweeper that drops stale batches every {@link AutoscaleConfig#sweepInterval()}. */
  public void start(ScheduledExecutorService scheduler) {
    long period = config.sweepInterval().toNanos();
    synchronized (lock) {
      if (sweeper == null) {
        sweeper = scheduler.scheduleWithFixedDelay(this::sweepQuietly, period, period, TimeUnit.NANOSECONDS);
      }
    }
  }

  /** Returns the limits in force. */
  public AutoscaleConfig config() {
    return config;
  }

  /** Sets who receives the exported rows (the metrics), at most once a second after a change. */
  public void onExport(Consumer<List<Row>> v) {
    this.exporter = Objects.requireNonNull(v, "exporter");
  }

  /**
   * Takes one validated batch (canonical service names) from {@code reporter}, which covered
   * {@code intervalNanos}; it replaces the reporter's previous batch. A batch from a new reporter
   * beyond {@link AutoscaleConfig#maxReporters()} is not used (counted in {@link #droppedReports()}).
   */
  public void onReport(String reporter, long intervalNanos, List<VersionStats> stats) {
    long interval = Math.max(MIN_INTERVAL_NANOS, Math.min(MAX_INTERVAL_NANOS, intervalNanos));
    Map<String, List<VersionStats>> byService = new HashMap<>();
    for (VersionStats s : stats) {
      byService.computeIfAbsent(s.getService(), k -> new ArrayList<>(2)).add(s);
    }
    synchronized (lock) {
      if (!reports.containsKey(reporter) && reports.size() >= config.maxReporters()) {
        droppedReports.incrementAndGet();
        return;
      }
      long now = ticker.nanoTime();
      Report old = reports.put(reporter, new Report(now + interval * config.staleIntervals(), interval / 1e9,
          byService));
      for (String service : byService.keySet()) {
        seen.put(service, Boolean.TRUE);
      }
      Set<String> changed = new HashSet<>(byService.keySet());
      if (old != null) {
        changed.addAll(old.byService().keySet());
      }
      dirty = true;
      notifyWatches(changed, now);
    }
  }

  /** Returns the current signals of {@code service}, of its {@code version} only when not null. */
  public Signals signals(String service, String version) {
    synchronized (lock) {
      return aggregate(service, version, ticker.nanoTime()).signals();
    }
  }

  /** Returns whether a gateway reported traffic of {@code service} since the start (the last 10,000 services). */
  public boolean seen(String service) {
    synchronized (lock) {
      return seen.containsKey(service);
    }
  }

  /** Returns the reporters whose batch is kept (fresh or not yet swept). */
  public int reporters() {
    synchronized (lock) {
      return reports.size();
    }
  }

  /** Returns the batches not used because {@link AutoscaleConfig#maxReporters()} reporters were tracked. */
  public long droppedReports() {
    return droppedReports.get();
  }

  /** Returns the open activity watches. */
  public int watchCount() {
    synchronized (lock) {
      return watchCount;
    }
  }

  /**
   * Watches the activity of {@code service} ({@code version} only when not null): {@code listener}
   * hears the current activity before this returns, then each change. Returns null when {@link
   * AutoscaleConfig#maxActivityStreams()} watches are open.
   */
  public Watch watch(String service, String version, ActivityListener listener) {
    synchronized (lock) {
      if (watchCount >= config.maxActivityStreams()) {
        return null;
      }
      Watch w = new Watch(service, version, listener);
      watches.computeIfAbsent(service, k -> new ArrayList<>()).add(w);
      watchCount++;
      w.deliver(aggregate(service, version, ticker.nanoTime()).signals().active());
      return w;
    }
  }

  /** Drops the batches that went stale and tells the watchers of their services; the sweeper calls it. */
  public void sweep() {
    List<Row> export = null;
    synchronized (lock) {
      long now = ticker.nanoTime();
      Set<String> changed = new HashSet<>();
      for (Iterator<Report> it = reports.values().iterator(); it.hasNext(); ) {
        Report r = it.next();
        if (r.expiresNanos() - now < 0) {
          changed.addAll(r.byService().keySet());
          it.remove();
        }
      }
      if (!changed.isEmpty()) {
        dirty = true;
        notifyWatches(changed, now);
      }
      if (dirty && now - lastExportNanos >= EXPORT_PERIOD_NANOS) {
        dirty = false;
        lastExportNanos = now;
        export = rowsLocked(now);
      }
    }
    if (export != null) {
      exporter.accept(export);
    }
  }

  /** Returns the rows to export now: the busiest services and versions within the configured caps. */
  public List<Row> rows() {
    synchronized (lock) {
      return rowsLocked(ticker.nanoTime());
    }
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (RuntimeException e) {
      log.log(Level.WARNING, "autoscale sweep failed", e);
    }
  }

  private List<Row> rowsLocked(long now) {
    Map<String, Map<String, Acc>> perVersion = new HashMap<>();
    for (Report r : reports.values()) {
      if (r.expiresNanos() - now < 0) {
        continue;
      }
      for (Map.Entry<String, List<VersionStats>> e : r.byService().entrySet()) {
        Map<String, Acc> versions = perVersion.computeIfAbsent(e.getKey(), k -> new HashMap<>());
        for (VersionStats s : e.getValue()) {
          versions.computeIfAbsent(s.getVersion(), k -> new Acc()).add(s, r.seconds());
        }
      }
    }
    List<Row> services = new ArrayList<>();
    Map<String, List<Row>> versionRows = new HashMap<>();
    for (Map.Entry<String, Map<String, Acc>> e : perVersion.entrySet()) {
      Acc all = new Acc();
      List<Row> vs = new ArrayList<>();
      for (Map.Entry<String, Acc> v : e.getValue().entrySet()) {
        all.merge(v.getValue());
        vs.add(new Row(e.getKey(), v.getKey(), v.getValue().signals()));
      }
      services.add(new Row(e.getKey(), null, all.signals()));
      vs.sort(BUSIEST);
      versionRows.put(e.getKey(), vs.subList(0, Math.min(vs.size(), config.maxExportedVersions())));
    }
    services.sort(BUSIEST);
    List<Row> out = new ArrayList<>();
    for (Row s : services.subList(0, Math.min(services.size(), config.maxExportedServices()))) {
      out.add(s);
      out.addAll(versionRows.get(s.service()));
    }
    return out;
  }

  private static final Comparator<Row> BUSIEST = Comparator
      .comparingDouble((Row r) -> r.signals().requestsPerSecond() + r.signals().inFlight()).reversed()
      .thenComparing(r -> r.version() == null ? "" : r.version()).thenComparing(Row::service);

  private Acc aggregate(String service, String version, long now) {
    Acc acc = new Acc();
    for (Report r : reports.values()) {
      if (r.expiresNanos() - now < 0) {
        continue;
      }
      List<VersionStats> list = r.byService().get(service);
      if (list == null) {
        continue;
      }
      int before = acc.reporters;
      for (VersionStats s : list) {
        if (version == null || version.equals(s.getVersion())) {
          acc.add(s, r.seconds());
        }
      }
      // One reporter, however many of its versions matched.
      acc.reporters = Math.min(acc.reporters, before + 1);
    }
    return acc;
  }

  private void notifyWatches(Set<String> services, long now) {
    for (String service : services) {
      List<Watch> list = watches.get(service);
      if (list == null) {
        continue;
      }
      Map<String, Boolean> activity = new HashMap<>(2);
      for (Watch w : list) {
        boolean active = activity.computeIfAbsent(w.version == null ? "" : "v:" + w.version,
            k -> aggregate(service, w.version, now).signals().active());
        w.deliver(active);
      }
    }
  }

  /** Stops the sweeper and ends every watch (their listeners hear nothing more). */
  @Override
  public void close() {
    synchronized (lock) {
      if (sweeper != null) {
        sweeper.cancel(false);
      }
      watches.clear();
      watchCount = 0;
    }
  }

  /** {@code Watch} is one open activity watch; {@link #close()} ends it (idempotent). */
  public final class Watch implements AutoCloseable {
    private final String service;
    private final String version;
    private final ActivityListener listener;
    private Boolean last; // guarded by lock
    private boolean closed; // guarded by lock

    private Watch(String service, String version, ActivityListener listener) {
      this.service = service;
      this.version = version;
      this.listener = listener;
    }

    private void deliver(boolean active) {
      if (closed || (last != null && last == active)) {
        return;
      }
      last = active;
      try {
        listener.onActivity(active);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "an activity listener of " + service + " failed", e);
      }
    }

    @Override
    public void close() {
      synchronized (lock) {
        if (closed) {
          return;
        }
        closed = true;
        List<Watch> list = watches.get(service);
        if (list != null && list.remove(this)) {
          watchCount--;
          if (list.isEmpty()) {
            watches.remove(service);
          }
        }
      }
    }
  }

  /** Sums of VersionStats over reporters. Not thread-safe. */
  private static final class Acc {
    double rps;
    long inFlight;
    long requests;
    long errors;
    int reporters;
    /** Requests per bucket upper bound (seconds); +Inf holds those above the reporter's last bound. */
    final TreeMap<Double, Long> buckets = new TreeMap<>();

    void add(VersionStats s, double seconds) {
      rps += s.getRequests() / seconds;
      inFlight += s.getInFlight();
      requests += s.getRequests();
      errors += s.getErrors();
      reporters++;
      int nb = s.getLatencyBoundsSecondsCount();
      for (int i = 0; i < s.getLatencyCountsCount(); i++) {
        long c = s.getLatencyCounts(i);
        if (c > 0) {
          double bound = i < nb ? s.getLatencyBoundsSeconds(i) : Double.POSITIVE_INFINITY;
          buckets.merge(bound, c, Long::sum);
        }
      }
    }

    void merge(Acc o) {
      rps += o.rps;
      inFlight += o.inFlight;
      requests += o.requests;
      errors += o.errors;
      reporters = Math.max(reporters, o.reporters);
      o.buckets.forEach((b, c) -> buckets.merge(b, c, Long::sum));
    }

    Signals signals() {
      if (reporters == 0) {
        return Signals.IDLE;
      }
      return new Signals(rps, inFlight, p99Millis(), requests == 0 ? 0 : (double) errors / requests, requests,
          reporters);
    }

    private double p99Millis() {
      if (buckets.isEmpty()) {
        return 0;
      }
      List<Double> bounds = new ArrayList<>(buckets.size());
      List<Long> counts = new ArrayList<>(buckets.size() + 1);
      long overflow = 0;
      for (Map.Entry<Double, Long> e : buckets.entrySet()) {
        if (e.getKey().isInfinite()) {
          overflow = e.getValue();
        } else {
          bounds.add(e.getKey());
          counts.add(e.getValue());
        }
      }
      counts.add(overflow);
      if (bounds.isEmpty()) {
        return 0; // every request above an unknown bound: nothing to estimate from
      }
      double q = Percentiles.quantile(bounds, counts, 0.99);
      return Double.isNaN(q) ? 0 : q * 1000;
    }
  }
}
