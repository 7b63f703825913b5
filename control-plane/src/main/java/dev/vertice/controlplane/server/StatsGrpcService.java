package dev.vertice.controlplane.server;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.store.StatsLimits;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import dev.vertice.security.auth.AuthContext;
import dev.vertice.security.auth.Identity;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * {@code StatsGrpcService} receives ReportStats streams from gateways and sidecars and adds each
 * valid batch to the {@link StatsStore}, in the bucket of the server's wall-clock second at receipt
 * (so that reporters with skewed clocks still line up; with Redis that clock follows Redis's, so
 * that every replica keys the same second alike).
 *
 * <p>A bad batch ends the stream with INVALID_ARGUMENT and a {@code google.rpc.BadRequest} naming
 * every bad field (more entries than {@link StatsLimits#maxEntriesPerBatch()}, more requests in an
 * entry than {@link StatsLimits#maxRequestsPerEntry()}...); a reporter over its entries per second,
 * or all reporters over theirs, ends it with RESOURCE_EXHAUSTED. The batches before it are kept, it
 * is not. A store that cannot be reached ends the stream with UNAVAILABLE (that batch was not kept;
 * the reporter reconnects and goes on).
 *
 * <p>Entries of a (service, version) the registry does not know (no instance of that version, no
 * policy naming it) are not kept, and entries that would start a series beyond the store's limit
 * are dropped unless a rollout's policy names the version: the rest of the batch is kept, the drops
 * are counted by reason ({@link #dropped(String)}) and the stream goes on, so that one stale entry
 * never costs a canary its batch.
 *
 * <p>With auth on, the reporter is the caller's authenticated identity: the {@code reporter} field
 * is only logged (a different value does not fail the batch), so that one identity cannot spread
 * its per-reporter limit over made-up reporter names.
 */
public final class StatsGrpcService extends StatsServiceGrpc.StatsServiceImplBase {

  private static final Logger log = Logger.getLogger(StatsGrpcService.class.getName());

  /** Reason of entries whose (service, version) the registry does not know. */
  public static final String DROPPED_UNKNOWN = "unknown_series";
  /** Reason of entries dropped at the store's series limit. */
  public static final String DROPPED_SERIES_LIMIT = "series_limit";

  private final StatsStore store;
  private final Clock clock;
  private final StatsLimits limits;
  private final KnownSeries known;
  private final RateWindow rates;
  private final AtomicLong droppedUnknown = new AtomicLong();
  private final AtomicLong droppedSeriesLimit = new AtomicLong();
  private final BatchListener listener;

  /** {@code BatchListener} hears every batch kept, after the store took it (the autoscaling signals). */
  @FunctionalInterface
  public interface BatchListener {
    /**
     * Called with the reporter, the length of its interval in nanoseconds and the validated stats
     * (canonical names), on the gRPC thread of the stream: must not block.
     */
    void accepted(String reporter, long intervalNanos, List<VersionStats> stats);
  }

  /** Creates the service adding to {@code store} any (service, version), with buckets keyed by {@code clock}'s second. */
  public StatsGrpcService(StatsStore store, Clock clock) {
    this(store, clock, StatsLimits.ofDefaults(), null, (r, i, s) -> {});
  }

  /**
   * Creates the service adding to {@code store} under {@code limits} the stats of the (service,
   * version) pairs {@code view} knows (every pair when {@code view} is null), with buckets keyed by
   * {@code clock}'s second, telling {@code listener} of every batch kept.
   */
  public StatsGrpcService(StatsStore store, Clock clock, StatsLimits limits, RegistryView view,
      BatchListener listener) {
    this.store = store;
    this.clock = clock;
    this.limits = limits;
    this.known = view == null ? null : new KnownSeries(view);
    this.rates = new RateWindow(limits.maxEntriesPerReporterPerSecond(), limits.maxEntriesPerSecond());
    this.listener = java.util.Objects.requireNonNull(listener, "listener");
  }

  /** Returns how many entries were not kept for {@code reason} ({@link #DROPPED_UNKNOWN}, {@link #DROPPED_SERIES_LIMIT}). */
  public long dropped(String reason) {
    return switch (reason) {
      case DROPPED_UNKNOWN -> droppedUnknown.get();
      case DROPPED_SERIES_LIMIT -> droppedSeriesLimit.get();
      default -> throw new IllegalArgumentException("unknown reason: " + reason);
    };
  }

  @Override
  public StreamObserver<ReportStatsRequest> reportStats(StreamObserver<ReportStatsResponse> responses) {
    Optional<Identity> caller = AuthContext.identity();
    return new StreamObserver<>() {
      private long accepted;
      private boolean failed;
      private boolean mismatchLogged;

      @Override
      public void onNext(ReportStatsRequest batch) {
        if (failed) {
          return;
        }
        Validation v = new Validation();
        List<VersionStats> stats = StatsValidation.batch(v, batch, limits);
        if (!v.ok()) {
          failed = true;
          log.fine(() -> "rejected a stats batch from " + Validation.clip(batch.getReporter()) + ": " + v.violations());
          responses.onError(GrpcErrors.invalidArgument(v.violations()));
          return;
        }
        String reporter = reporter(batch);
        long second = Math.floorDiv(clock.millis(), 1000);
        String refused = rates.take(reporter, second, Math.max(1, stats.size()));
        if (refused != null) {
          failed = true;
          log.fine(() -> "refused a stats batch from " + reporter + ": " + refused);
          responses.onError(GrpcErrors.resourceExhausted(refused));
          return;
        }
        try {
          add(second, stats);
          accepted++;
          listener.accepted(reporter, Durations.toNanos(Timestamps.between(batch.getIntervalStart(),
              batch.getIntervalEnd())), stats);
        } catch (StoreUnavailableException e) {
          failed = true;
          responses.onError(GrpcErrors.unavailable(e.getMessage()));
        }
      }

      private String reporter(ReportStatsRequest batch) {
        if (caller.isEmpty()) {
          return "reporter " + batch.getReporter();
        }
        Identity id = caller.get();
        if (!mismatchLogged && !batch.getReporter().equals(id.name())) {
          mismatchLogged = true;
          log.fine(() -> "stats reported by " + id.describe() + " under the reporter name '"
              + Validation.clip(batch.getReporter()) + "': counted as " + id.name());
        }
        return id.kind().name().toLowerCase(Locale.ROOT) + " " + id.name();
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
      }

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        responses.onNext(ReportStatsResponse.newBuilder().setBatchesAccepted(accepted).build());
        responses.onCompleted();
      }
    };
  }

  private void add(long second, List<VersionStats> stats) throws StoreUnavailableException {
    if (known == null) {
      store.add(second, stats);
      return;
    }
    List<VersionStats> kept = new ArrayList<>(stats.size());
    Set<VersionStats> rollout = Collections.newSetFromMap(new IdentityHashMap<>());
    int unknown = 0;
    for (VersionStats s : stats) {
      switch (known.of(s.getService(), s.getVersion())) {
        case UNKNOWN -> unknown++;
        case ROLLOUT -> {
          kept.add(s);
          rollout.add(s);
        }
        case KNOWN -> kept.add(s);
      }
    }
    if (unknown > 0) {
      droppedUnknown.addAndGet(unknown);
    }
    if (!kept.isEmpty()) {
      int dropped = store.add(second, kept, rollout::contains);
      if (dropped > 0) {
        droppedSeriesLimit.addAndGet(dropped);
      }
    }
  }
}
