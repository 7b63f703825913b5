package dev.vertice.controlplane.server;

import com.google.rpc.BadRequest.FieldViolation;
import dev.vertice.api.externalscaler.ExternalScalerGrpc;
import dev.vertice.api.externalscaler.GetMetricSpecResponse;
import dev.vertice.api.externalscaler.GetMetricsRequest;
import dev.vertice.api.externalscaler.GetMetricsResponse;
import dev.vertice.api.externalscaler.IsActiveResponse;
import dev.vertice.api.externalscaler.MetricSpec;
import dev.vertice.api.externalscaler.MetricValue;
import dev.vertice.api.externalscaler.ScaledObjectRef;
import dev.vertice.controlplane.autoscale.LoadSignals;
import dev.vertice.controlplane.autoscale.ScalerQuery;
import dev.vertice.controlplane.autoscale.Signals;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.security.auth.Authorizer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ExternalScalerGrpcService} serves KEDA's external scaler API ({@code
 * externalscaler.ExternalScaler}) from the {@link LoadSignals} the gateways feed.
 *
 * <p>The ScaledObject's metadata is parsed by {@link ScalerQuery}; bad metadata, or a service that
 * has no instance, no TrafficPolicy and no reported traffic, gets INVALID_ARGUMENT with a {@code
 * google.rpc.BadRequest} naming each bad key ({@code scalerMetadata.<key>}, under {@code
 * scaledObjectRef.} for GetMetrics). A caller must be allowed to see the service, as for {@code
 * GetService} ({@link Authorizer#checkWatch}); the check comes before the existence check, so a
 * refused caller learns nothing of the service. StreamIsActive sends the activity at once and then
 * each change as batches arrive or go stale; a slow reader only ever has the newest value pending.
 * Streams beyond {@code maxActivityStreams} get RESOURCE_EXHAUSTED.
 */
public final class ExternalScalerGrpcService extends ExternalScalerGrpc.ExternalScalerImplBase {

  private final LoadSignals signals;
  private final RegistryView registry;
  private final Authorizer authorizer;
  private final Set<ActivityStream> streams = ConcurrentHashMap.newKeySet();

  /** Creates the service answering from {@code signals}, knowing services from {@code registry}. */
  public ExternalScalerGrpcService(LoadSignals signals, RegistryView registry, Authorizer authorizer) {
    this.signals = Objects.requireNonNull(signals, "signals");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
  }

  @Override
  public void isActive(ScaledObjectRef request, StreamObserver<IsActiveResponse> response) {
    ScalerQuery q = query(request, "", response);
    if (q == null) {
      return;
    }
    boolean active = signals.signals(q.service(), q.version()).active();
    response.onNext(IsActiveResponse.newBuilder().setResult(active).build());
    response.onCompleted();
  }

  @Override
  public void streamIsActive(ScaledObjectRef request, StreamObserver<IsActiveResponse> response) {
    ScalerQuery q = query(request, "", response);
    if (q == null) {
      return;
    }
    ServerCallStreamObserver<IsActiveResponse> call = (ServerCallStreamObserver<IsActiveResponse>) response;
    ActivityStream stream = new ActivityStream(call);
    // Handlers first: they may only be set before this method returns, and the watch answers at once.
    call.setOnCancelHandler(stream::close);
    call.setOnReadyHandler(stream::drain);
    LoadSignals.Watch watch = signals.watch(q.service(), q.version(), stream::push);
    if (watch == null) {
      call.onError(GrpcErrors.resourceExhausted(signals.config().maxActivityStreams()
          + " StreamIsActive streams are open, the most this control plane allows; use IsActive (KEDA type"
          + " external) or retry later"));
      return;
    }
    stream.watch = watch;
    streams.add(stream);
    if (call.isCancelled()) {
      stream.close();
    }
  }

  @Override
  public void getMetricSpec(ScaledObjectRef request, StreamObserver<GetMetricSpecResponse> response) {
    ScalerQuery q = query(request, "", response);
    if (q == null) {
      return;
    }
    response.onNext(GetMetricSpecResponse.newBuilder().addMetricSpecs(MetricSpec.newBuilder()
        .setMetricName(q.metricName())
        .setTargetSize(Math.max(1, Math.round(q.target())))
        .setTargetSizeFloat(q.target())).build());
    response.onCompleted();
  }

  @Override
  public void getMetrics(GetMetricsRequest request, StreamObserver<GetMetricsResponse> response) {
    ScalerQuery q = query(request.getScaledObjectRef(), "scaledObjectRef.", response);
    if (q == null) {
      return;
    }
    Signals s = signals.signals(q.service(), q.version());
    double value = s.value(q.metric());
    // KEDA asks by the name the HPA knows (its own prefix added): answer under the name asked for.
    String name = request.getMetricName().isEmpty() ? q.metricName() : request.getMetricName();
    response.onNext(GetMetricsResponse.newBuilder().addMetricValues(MetricValue.newBuilder()
        .setMetricName(name)
        .setMetricValue(Math.round(value))
        .setMetricValueFloat(value)).build());
    response.onCompleted();
  }

  /** Ends every StreamIsActive stream with UNAVAILABLE (the control plane is shutting down). */
  public void shutdown() {
    for (ActivityStream s : streams) {
      s.close();
      try {
        s.call.onError(GrpcErrors.shuttingDown());
      } catch (IllegalStateException alreadyClosed) {
        // cancelled by the client meanwhile
      }
    }
  }

  /** Returns the open StreamIsActive streams. */
  public int openStreams() {
    return streams.size();
  }

  /** Parses, authorizes and checks the query, or answers the error and returns null. */
  private ScalerQuery query(ScaledObjectRef ref, String prefix, StreamObserver<?> response) {
    ScalerQuery.Parsed parsed = ScalerQuery.parse(ref.getScalerMetadataMap());
    if (parsed.query().isEmpty()) {
      List<FieldViolation> violations = new ArrayList<>();
      for (ScalerQuery.Problem p : parsed.problems()) {
        violations.add(GrpcErrors.violation(prefix + "scalerMetadata." + p.key(), p.description()));
      }
      response.onError(GrpcErrors.invalidArgument(violations));
      return null;
    }
    ScalerQuery q = parsed.query().get();
    try {
      authorizer.checkWatch(List.of(q.service()));
    } catch (StatusRuntimeException denied) {
      response.onError(denied);
      return null;
    }
    if (registry.service(q.service()) == null && registry.trafficPolicy(q.service()) == null
        && !signals.seen(q.service())) {
      response.onError(GrpcErrors.invalidArgument(List.of(GrpcErrors.violation(prefix + "scalerMetadata."
          + ScalerQuery.SERVICE, "'" + q.service() + "' is not a known service: it has no registered instance,"
          + " no TrafficPolicy, and no gateway reported traffic for it"))));
      return null;
    }
    return q;
  }

  /** One StreamIsActive stream: at most the newest activity pending while the transport is not ready. */
  private final class ActivityStream {
    final ServerCallStreamObserver<IsActiveResponse> call;
    volatile LoadSignals.Watch watch;
    private Boolean pending; // guarded by this
    private boolean closed; // guarded by this

    ActivityStream(ServerCallStreamObserver<IsActiveResponse> call) {
      this.call = call;
    }

    synchronized void push(boolean active) {
      pending = active;
      drain();
    }

    synchronized void drain() {
      if (closed || pending == null || !call.isReady()) {
        return;
      }
      boolean v = pending;
      pending = null;
      call.onNext(IsActiveResponse.newBuilder().setResult(v).build());
    }

    void close() {
      synchronized (this) {
        closed = true;
      }
      LoadSignals.Watch w = watch;
      if (w != null) {
        w.close();
      }
      streams.remove(this);
    }
  }
}
