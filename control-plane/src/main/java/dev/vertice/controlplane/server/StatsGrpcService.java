package dev.vertice.controlplane.server;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.List;
import java.util.logging.Logger;

/**
 * {@code StatsGrpcService} receives ReportStats streams from gateways and sidecars and adds each
 * valid batch to the {@link StatsStore}, in the bucket of the server's wall-clock second at receipt
 * (so that reporters with skewed clocks still line up).
 *
 * <p>A bad batch ends the stream with INVALID_ARGUMENT and a {@code google.rpc.BadRequest} naming
 * every bad field; the batches before it are kept, it is not. A store that cannot be reached ends
 * the stream with UNAVAILABLE (that batch was not kept; the reporter reconnects and goes on).
 */
public final class StatsGrpcService extends StatsServiceGrpc.StatsServiceImplBase {

  private static final Logger log = Logger.getLogger(StatsGrpcService.class.getName());

  private final StatsStore store;
  private final Clock clock;
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

  /** Creates the service adding to {@code store}, with buckets keyed by {@code clock}'s second. */
  public StatsGrpcService(StatsStore store, Clock clock) {
    this(store, clock, (r, i, s) -> {});
  }

  /** As {@link #StatsGrpcService(StatsStore, Clock)}, telling {@code listener} of every batch kept. */
  public StatsGrpcService(StatsStore store, Clock clock, BatchListener listener) {
    this.store = store;
    this.clock = clock;
    this.listener = java.util.Objects.requireNonNull(listener, "listener");
  }

  @Override
  public StreamObserver<ReportStatsRequest> reportStats(StreamObserver<ReportStatsResponse> responses) {
    return new StreamObserver<>() {
      private long accepted;
      private boolean failed;

      @Override
      public void onNext(ReportStatsRequest batch) {
        if (failed) {
          return;
        }
        Validation v = new Validation();
        List<VersionStats> stats = StatsValidation.batch(v, batch);
        if (!v.ok()) {
          failed = true;
          log.fine(() -> "rejected a stats batch from " + Validation.clip(batch.getReporter()) + ": " + v.violations());
          responses.onError(GrpcErrors.invalidArgument(v.violations()));
          return;
        }
        try {
          store.add(Math.floorDiv(clock.millis(), 1000), stats);
          accepted++;
          listener.accepted(batch.getReporter(), Durations.toNanos(Timestamps.between(batch.getIntervalStart(),
              batch.getIntervalEnd())), stats);
        } catch (StoreUnavailableException e) {
          failed = true;
          responses.onError(GrpcErrors.unavailable(e.getMessage()));
        }
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
}
