package dev.vertice.client;

import com.google.protobuf.Timestamp;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.client.internal.ControlPlaneChannels;
import dev.vertice.client.internal.ControlPlaneConnection;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code StatsReporter} counts requests per (service, version) — requests, errors and a latency
 * histogram — and sends them to the control plane every interval (default 1 s) as one batch on a
 * long-lived {@code vertice.stats.v1.StatsService/ReportStats} client stream. Gateways and
 * sidecars share it. With {@link Builder#inFlight} it also reports the requests in flight at the end
 * of each interval (for autoscaling).
 *
 * <p>{@link #record} is lock-free and never waits on the network: it adds to per-key atomic
 * counters. Every interval the counters are drained into a batch: requests are the sum of the
 * histogram buckets, so a batch is always consistent (counts sum to requests, errors at most
 * requests). When the stream is not ready (flow control) or broken, nothing is drained: the counts
 * wait for the next interval, so a slow control plane delays stats but loses none while the
 * process lives. A broken stream is reopened at the next interval (to the next replica); a batch
 * in flight when a stream breaks may be lost. At most {@value #MAX_KEYS} keys are tracked
 * (further keys are counted in {@link #droppedRecords()}); at most {@value #MAX_STATS_PER_BATCH}
 * keys go in one batch, the rest in the next.
 *
 * <p>Thread-safe.
 */
public final class StatsReporter implements AutoCloseable {

  private static final Logger log = Logger.getLogger(StatsReporter.class.getName());

  /** Most (service, version) keys tracked at once. */
  public static final int MAX_KEYS = 10_000;
  /** Most VersionStats per batch (the server's limit). */
  public static final int MAX_STATS_PER_BATCH = 1024;
  /** Default latency bucket bounds, in seconds. */
  public static final double[] DEFAULT_BOUNDS_SECONDS = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  private final ControlPlaneConnection connection;
  private final ControlPlaneChannels channels;
  private final ScheduledExecutorService scheduler;
  private final String reporter;
  private final Clock clock;
  private final double[] bounds;
  private final long[] boundsNanos;
  private final List<Double> boundsList;
  private final ConcurrentHashMap<Key, Counters> counters = new ConcurrentHashMap<>();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong batchesSent = new AtomicLong();
  private final ScheduledFuture<?> task;
  private final InFlight inFlight;

  private final Object lock = new Object();
  private Stream stream; // guarded by lock
  private Instant intervalStart; // guarded by lock
  private boolean closed; // guarded by lock

  private record Key(String service, String version) {}

  /**
   * The counters of keys recorded lately, by the strings' hashes: {@link #record} finds them without
   * making a {@link Key} (a benign race: slots are immutable and a miss falls back on the map).
   */
  private final Slot[] recent = new Slot[RECENT_SLOTS];

  private static final int RECENT_SLOTS = 64;

  private record Slot(String service, String version, Counters counters) {}

  /** {@code InFlight} tells how many requests are in flight now, for autoscaling. */
  @FunctionalInterface
  public interface InFlight {
    /** Returns the requests in flight now, by service then version; entries of 0 may be left out. Must not block. */
    Map<String, Map<String, Integer>> now();

    /** Nothing measured: every VersionStats reports 0 in flight. */
    InFlight NONE = Map::of;
  }

  /** Per-key counters: one atomic per bucket, and errors. */
  private static final class Counters {
    final AtomicLongArray buckets;
    final AtomicLong errors = new AtomicLong();

    Counters(int buckets) {
      this.buckets = new AtomicLongArray(buckets);
    }
  }

  private StatsReporter(Builder b) {
    this.connection = b.connect("vertice-stats-timer", 1 << 20);
    this.channels = connection.channels();
    this.scheduler = connection.scheduler();
    this.reporter = b.reporter;
    this.clock = b.clock;
    this.bounds = b.bounds.clone();
    this.boundsNanos = new long[bounds.length];
    List<Double> list = new ArrayList<>(bounds.length);
    for (int i = 0; i < bounds.length; i++) {
      boundsNanos[i] = (long) (bounds[i] * 1e9);
      list.add(bounds[i]);
    }
    this.boundsList = List.copyOf(list);
    this.intervalStart = clock.instant();
    this.inFlight = b.inFlight;
    long period = b.interval.toNanos();
    this.task = scheduler.scheduleAtFixedRate(this::flush, period, period, TimeUnit.NANOSECONDS);
  }

  /** {@code builder} returns a builder; a control plane (addresses or channels) and a reporter id must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@code record} counts one finished request to {@code service} served by version {@code
   * version}, that took {@code latencyNanos}; {@code error} for 5xx (or failing gRPC status),
   * connection failures and timeouts. Lock-free.
   */
  public void record(String service, String version, long latencyNanos, boolean error) {
    int h = 31 * Objects.hashCode(service) + Objects.hashCode(version);
    int slot = (h ^ (h >>> 16)) & (RECENT_SLOTS - 1);
    Slot recently = recent[slot];
    Counters c;
    if (recently != null && Objects.equals(recently.service, service)
        && Objects.equals(recently.version, version)) {
      c = recently.counters;
    } else {
      Key key = new Key(service, version);
      c = counters.get(key);
      if (c == null) {
        if (counters.size() >= MAX_KEYS) {
          dropped.incrementAndGet();
          return;
        }
        c = counters.computeIfAbsent(key, k -> new Counters(bounds.length + 1));
      }
      recent[slot] = new Slot(service, version, c);
    }
    int i = Arrays.binarySearch(boundsNanos, latencyNanos);
    int bucket = i >= 0 ? i : -i - 1; // bucket i holds latencies <= bound i
    c.buckets.incrementAndGet(bucket);
    if (error) {
      c.errors.incrementAndGet();
    }
  }

  /** {@code batchesSent} returns the batches sent so far. */
  public long batchesSent() {
    return batchesSent.get();
  }

  /** {@code droppedRecords} returns the records dropped because {@link #MAX_KEYS} keys were tracked. */
  public long droppedRecords() {
    return dropped.get();
  }

  /** {@code flush} drains the counters into one batch now, if the stream can take it. */
  public void flush() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      flushLocked();
    }
  }

  private void flushLocked() {
    if (stream == null || stream.failed) {
      stream = openStream();
    }
    if (!stream.requests.isReady()) {
      return; // not ready (connecting, or flow control): the counts wait
    }
    Instant end = clock.instant();
    if (!end.isAfter(intervalStart)) {
      end = intervalStart.plusNanos(1);
    }
    ReportStatsRequest.Builder batch = ReportStatsRequest.newBuilder().setReporter(reporter)
        .setIntervalStart(ts(intervalStart)).setIntervalEnd(ts(end));
    Map<String, Map<String, Integer>> flying = inFlightNow();
    for (Map.Entry<Key, Counters> e : counters.entrySet()) {
      if (batch.getStatsCount() >= MAX_STATS_PER_BATCH) {
        break;
      }
      Counters c = e.getValue();
      VersionStats.Builder vs = VersionStats.newBuilder().setService(e.getKey().service())
          .setVersion(e.getKey().version()).addAllLatencyBoundsSeconds(boundsList);
      long requests = 0;
      for (int i = 0; i < c.buckets.length(); i++) {
        long n = c.buckets.getAndSet(i, 0);
        requests += n;
        vs.addLatencyCounts(n);
      }
      int busy = flying.getOrDefault(e.getKey().service(), Map.of()).getOrDefault(e.getKey().version(), 0);
      if (requests == 0 && busy <= 0) {
        continue;
      }
      if (busy > 0) {
        vs.setInFlight(busy);
      }
      long errors = c.errors.getAndSet(0);
      if (errors > requests) {
        // An error counted before its bucket: it belongs to the next interval.
        c.errors.addAndGet(errors - requests);
        errors = requests;
      }
      batch.addStats(vs.setRequests(requests).setErrors(errors));
    }
    // Versions with requests in flight and none finished this interval, not counted yet (long requests).
    for (Map.Entry<String, Map<String, Integer>> s : flying.entrySet()) {
      for (Map.Entry<String, Integer> v : s.getValue().entrySet()) {
        if (v.getValue() > 0 && batch.getStatsCount() < MAX_STATS_PER_BATCH
            && !counters.containsKey(new Key(s.getKey(), v.getKey()))) {
          batch.addStats(VersionStats.newBuilder().setService(s.getKey()).setVersion(v.getKey())
              .setInFlight(v.getValue()));
        }
      }
    }
    intervalStart = end;
    if (batch.getStatsCount() == 0) {
      return;
    }
    stream.requests.onNext(batch.build());
    batchesSent.incrementAndGet();
  }

  private Map<String, Map<String, Integer>> inFlightNow() {
    try {
      Map<String, Map<String, Integer>> m = inFlight.now();
      return m == null ? Map.of() : m;
    } catch (RuntimeException e) {
      log.log(Level.FINE, "the in-flight source failed; reporting none this interval", e);
      return Map.of();
    }
  }

  private static Timestamp ts(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  private Stream openStream() {
    int index = channels.current();
    channels.prepare(index);
    Stream s = new Stream(index);
    StatsServiceGrpc.newStub(channels.channel(index)).reportStats(s);
    return s;
  }

  /** {@code close} sends what is counted (if the stream is ready), ends the stream and releases threads. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      task.cancel(false);
      if (stream != null && !stream.failed) {
        flushLocked();
        stream.requests.onCompleted();
      }
      closed = true;
    }
    connection.close();
  }

  /** One ReportStats stream. */
  private final class Stream implements ClientResponseObserver<ReportStatsRequest, ReportStatsResponse> {
    final int index;
    ClientCallStreamObserver<ReportStatsRequest> requests;
    volatile boolean failed;

    Stream(int index) {
      this.index = index;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ReportStatsRequest> requestStream) {
      this.requests = requestStream;
    }

    @Override
    public void onNext(ReportStatsResponse value) {}

    @Override
    public void onError(Throwable t) {
      failed = true;
      channels.failed(index);
      log.log(Level.FINE, "stats stream to " + channels.label(index) + " failed; reopening next interval", t);
    }

    @Override
    public void onCompleted() {
      failed = true;
    }
  }

  /** {@code Builder} configures a {@link StatsReporter}; not thread-safe. */
  public static final class Builder extends ConnectionBuilder<Builder> {
    private String reporter;
    private Duration interval = Duration.ofSeconds(1);
    private Clock clock = Clock.systemUTC();
    private double[] bounds = DEFAULT_BOUNDS_SECONDS;
    private InFlight inFlight = InFlight.NONE;

    private Builder() {}

    /**
     * {@code inFlight} sets where the requests in flight per (service, version) are read at each
     * interval's end (default {@link InFlight#NONE}); a version with requests in flight is reported
     * even when none finished in the interval, so that a service with only long requests stays
     * active for autoscaling.
     */
    public Builder inFlight(InFlight v) {
      this.inFlight = Objects.requireNonNull(v, "inFlight");
      return this;
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * {@code reporter} sets the reporter's node id, for example {@code gateway-1} (1-128 characters).
     *
     * @throws IllegalArgumentException when empty or longer than 128 characters
     */
    public Builder reporter(String v) {
      if (v == null || v.isEmpty() || v.length() > 128) {
        throw new IllegalArgumentException("reporter must be 1-128 characters: '" + v + "'");
      }
      this.reporter = v;
      return this;
    }

    /**
     * {@code interval} sets how often a batch is sent (default 1 s).
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder interval(Duration v) {
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException("interval must be positive: " + v);
      }
      this.interval = v;
      return this;
    }

    /** {@code clock} sets the wall clock of the interval timestamps (default UTC system clock). */
    public Builder clock(Clock v) {
      this.clock = Objects.requireNonNull(v, "clock");
      return this;
    }

    /**
     * {@code latencyBoundsSeconds} sets the histogram's bucket bounds (strictly increasing,
     * positive, at most 63).
     *
     * @throws IllegalArgumentException when they are not
     */
    public Builder latencyBoundsSeconds(double... v) {
      if (v.length == 0 || v.length > 63) {
        throw new IllegalArgumentException("1-63 latency bounds are needed: " + v.length);
      }
      for (int i = 0; i < v.length; i++) {
        if (!(v[i] > 0) || (i > 0 && !(v[i] > v[i - 1]))) {
          throw new IllegalArgumentException("latency bounds must be positive and strictly increase: "
              + Arrays.toString(v));
        }
      }
      this.bounds = v.clone();
      return this;
    }

    /**
     * {@code build} creates the reporter and starts its timer; the stream opens at the first interval.
     *
     * @throws IllegalStateException when the reporter id or the control plane is missing
     */
    public StatsReporter build() {
      if (reporter == null) {
        throw new IllegalStateException("reporter(...) must be set");
      }
      return new StatsReporter(this);
    }
  }
}
