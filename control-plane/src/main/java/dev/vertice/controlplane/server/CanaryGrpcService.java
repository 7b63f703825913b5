package dev.vertice.controlplane.server;

import dev.vertice.api.canary.v1.AbortRequest;
import dev.vertice.api.canary.v1.AbortResponse;
import dev.vertice.api.canary.v1.CanaryServiceGrpc;
import dev.vertice.api.canary.v1.CreateRolloutRequest;
import dev.vertice.api.canary.v1.CreateRolloutResponse;
import dev.vertice.api.canary.v1.GetRolloutRequest;
import dev.vertice.api.canary.v1.GetRolloutResponse;
import dev.vertice.api.canary.v1.ListRolloutsRequest;
import dev.vertice.api.canary.v1.ListRolloutsResponse;
import dev.vertice.api.canary.v1.PauseRequest;
import dev.vertice.api.canary.v1.PauseResponse;
import dev.vertice.api.canary.v1.PromoteRequest;
import dev.vertice.api.canary.v1.PromoteResponse;
import dev.vertice.api.canary.v1.ResumeRequest;
import dev.vertice.api.canary.v1.ResumeResponse;
import dev.vertice.api.canary.v1.RollbackRequest;
import dev.vertice.api.canary.v1.RollbackResponse;
import dev.vertice.api.canary.v1.WatchRolloutRequest;
import dev.vertice.api.canary.v1.WatchRolloutResponse;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.canary.RolloutStateException;
import dev.vertice.canary.Violation;
import dev.vertice.controlplane.canary.CanaryController;
import dev.vertice.controlplane.canary.NotLeaderException;
import dev.vertice.controlplane.canary.RolloutNotFoundException;
import dev.vertice.controlplane.canary.RolloutProtos;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code CanaryGrpcService} translates CanaryService calls into {@link CanaryController} commands:
 * validation here (every bad field at once, as a {@code google.rpc.BadRequest}), state there.
 * State conflicts are FAILED_PRECONDITION, unknown ids NOT_FOUND, and commands on a replica that
 * does not hold the canary lease UNAVAILABLE.
 */
public final class CanaryGrpcService extends CanaryServiceGrpc.CanaryServiceImplBase {

  private static final Logger log = Logger.getLogger(CanaryGrpcService.class.getName());

  /** Longest rollout id accepted in a request. */
  static final int MAX_ID_LENGTH = 128;
  /** Longest operator reason accepted by Rollback, in UTF-8 bytes. */
  static final int MAX_REASON_BYTES = 1024;

  private final CanaryController controller;

  /** Creates the service over {@code controller}. */
  public CanaryGrpcService(CanaryController controller) {
    this.controller = controller;
  }

  @Override
  public void createRollout(CreateRolloutRequest request, StreamObserver<CreateRolloutResponse> response) {
    Validation v = new Validation();
    if (!request.hasSpec()) {
      v.violation("spec", "is required");
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return;
    }
    List<Violation> wire = new ArrayList<>();
    RolloutSpec.Draft draft = RolloutProtos.draft(request.getSpec(), wire);
    RolloutSpec.Validated checked = draft.validate();
    List<Violation> all = new ArrayList<>(wire);
    for (Violation x : checked.violations()) {
      // a field that could not be read is reported once, as unreadable
      if (wire.stream().noneMatch(w -> w.field().equals(x.field()))) {
        all.add(x);
      }
    }
    if (!all.isEmpty()) {
      all.forEach(x -> v.violation("spec." + x.field(), x.description()));
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return;
    }
    call(response, () -> CreateRolloutResponse.newBuilder()
        .setRollout(RolloutProtos.toProto(controller.create(checked.orThrow()))).build());
  }

  @Override
  public void getRollout(GetRolloutRequest request, StreamObserver<GetRolloutResponse> response) {
    if (badId(request.getId(), response)) {
      return;
    }
    call(response, () -> GetRolloutResponse.newBuilder().setRollout(RolloutProtos.toProto(
        controller.get(request.getId()).orElseThrow(() -> new RolloutNotFoundException(request.getId())))).build());
  }

  @Override
  public void listRollouts(ListRolloutsRequest request, StreamObserver<ListRolloutsResponse> response) {
    String service = null;
    if (!request.getService().isEmpty()) {
      Validation v = new Validation();
      service = v.service("service", request.getService());
      if (!v.ok()) {
        response.onError(GrpcErrors.invalidArgument(v.violations()));
        return;
      }
    }
    String filter = service;
    call(response, () -> {
      ListRolloutsResponse.Builder b = ListRolloutsResponse.newBuilder();
      for (Rollout r : controller.list(filter, request.getActiveOnly())) {
        b.addRollouts(RolloutProtos.toProto(r));
      }
      return b.build();
    });
  }

  @Override
  public void promote(PromoteRequest request, StreamObserver<PromoteResponse> response) {
    if (badId(request.getId(), response)) {
      return;
    }
    call(response, () -> PromoteResponse.newBuilder()
        .setRollout(RolloutProtos.toProto(controller.promote(request.getId(), request.getFull()))).build());
  }

  @Override
  public void rollback(RollbackRequest request, StreamObserver<RollbackResponse> response) {
    Validation v = new Validation();
    id(v, request.getId());
    if (request.getReason().getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
      v.violation("reason", "is longer than " + MAX_REASON_BYTES + " bytes");
    }
    if (!v.ok()) {
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return;
    }
    call(response, () -> RollbackResponse.newBuilder()
        .setRollout(RolloutProtos.toProto(controller.rollback(request.getId(), request.getReason()))).build());
  }

  @Override
  public void pause(PauseRequest request, StreamObserver<PauseResponse> response) {
    if (badId(request.getId(), response)) {
      return;
    }
    call(response, () -> PauseResponse.newBuilder()
        .setRollout(RolloutProtos.toProto(controller.pause(request.getId()))).build());
  }

  @Override
  public void resume(ResumeRequest request, StreamObserver<ResumeResponse> response) {
    if (badId(request.getId(), response)) {
      return;
    }
    call(response, () -> ResumeResponse.newBuilder()
        .setRollout(RolloutProtos.toProto(controller.resume(request.getId()))).build());
  }

  @Override
  public void abort(AbortRequest request, StreamObserver<AbortResponse> response) {
    if (badId(request.getId(), response)) {
      return;
    }
    call(response, () -> AbortResponse.newBuilder()
        .setRollout(RolloutProtos.toProto(controller.abort(request.getId()))).build());
  }

  @Override
  public void watchRollout(WatchRolloutRequest request, StreamObserver<WatchRolloutResponse> response) {
    if (badId(request.getId(), response)) {
      return;
    }
    RolloutWatch watch = new RolloutWatch((ServerCallStreamObserver<WatchRolloutResponse>) response);
    try {
      watch.start(request.getId());
    } catch (RuntimeException e) {
      watch.fail(toStatus(e));
    }
  }

  /**
   * {@code RolloutWatch} sends a rollout's states to one stream under flow control: it holds at
   * most one unsent state (the newest replaces an unsent older one) and sends while the stream is
   * ready. It ends the stream after a final state whose policy converged.
   */
  private final class RolloutWatch implements Consumer<Rollout> {
    private final ServerCallStreamObserver<WatchRolloutResponse> out;
    private Rollout pending; // guarded by this
    private boolean done; // guarded by this
    private AutoCloseable handle; // guarded by this

    RolloutWatch(ServerCallStreamObserver<WatchRolloutResponse> out) {
      this.out = out;
      out.setOnReadyHandler(this::drain);
      out.setOnCancelHandler(this::close);
    }

    void start(String id) {
      AutoCloseable h = controller.watch(id, this);
      synchronized (this) {
        if (done) {
          closeQuietly(h);
        } else {
          handle = h;
        }
      }
    }

    @Override
    public void accept(Rollout r) {
      synchronized (this) {
        if (done) {
          return;
        }
        pending = r;
      }
      drain();
    }

    private void drain() {
      AutoCloseable toClose = null;
      synchronized (this) {
        while (!done && pending != null && out.isReady()) {
          Rollout r = pending;
          pending = null;
          out.onNext(WatchRolloutResponse.newBuilder().setRollout(RolloutProtos.toProto(r)).build());
          if (!r.isActive() && r.policyConverged()) {
            done = true;
            out.onCompleted();
            toClose = handle;
          }
        }
      }
      closeQuietly(toClose);
    }

    void fail(StatusRuntimeException e) {
      synchronized (this) {
        if (done) {
          return;
        }
        done = true;
      }
      out.onError(e);
    }

    private void close() {
      AutoCloseable toClose;
      synchronized (this) {
        done = true;
        toClose = handle;
      }
      closeQuietly(toClose);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.log(Level.FINE, "closing a rollout watch failed", e);
    }
  }

  private static <T> void call(StreamObserver<T> response, Supplier<T> body) {
    T value;
    try {
      value = body.get();
    } catch (RuntimeException e) {
      response.onError(toStatus(e));
      return;
    }
    response.onNext(value);
    response.onCompleted();
  }

  private static StatusRuntimeException toStatus(RuntimeException e) {
    if (e instanceof RolloutNotFoundException) {
      return GrpcErrors.notFound(e.getMessage());
    }
    if (e instanceof RolloutStateException) {
      return Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof NotLeaderException) {
      return GrpcErrors.unavailable(e.getMessage());
    }
    log.log(Level.WARNING, "canary call failed", e);
    return Status.UNAVAILABLE.withDescription("the canary controller failed: " + e.getMessage())
        .withCause(e).asRuntimeException();
  }

  private static <T> boolean badId(String id, StreamObserver<T> response) {
    Validation v = new Validation();
    id(v, id);
    if (!v.ok()) {
      response.onError(GrpcErrors.invalidArgument(v.violations()));
      return true;
    }
    return false;
  }

  private static void id(Validation v, String id) {
    if (id.isEmpty()) {
      v.violation("id", "is empty");
    } else if (id.length() > MAX_ID_LENGTH) {
      v.violation("id", "is longer than " + MAX_ID_LENGTH + " characters");
    }
  }
}
