package dev.vertice.client;

import dev.vertice.api.canary.v1.AbortRequest;
import dev.vertice.api.canary.v1.CanaryServiceGrpc;
import dev.vertice.api.canary.v1.CreateRolloutRequest;
import dev.vertice.api.canary.v1.GetRolloutRequest;
import dev.vertice.api.canary.v1.ListRolloutsRequest;
import dev.vertice.api.canary.v1.PauseRequest;
import dev.vertice.api.canary.v1.PromoteRequest;
import dev.vertice.api.canary.v1.ResumeRequest;
import dev.vertice.api.canary.v1.RollbackRequest;
import dev.vertice.api.canary.v1.Rollout;
import dev.vertice.api.canary.v1.RolloutSpec;
import dev.vertice.api.canary.v1.WatchRolloutRequest;
import dev.vertice.api.canary.v1.WatchRolloutResponse;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * {@code CanaryClient} is a thin wrapper over the CanaryService: start a rollout, follow it, and
 * steer it by hand.
 *
 * <pre>{@code
 * try (CanaryClient canary = CanaryClient.connect("localhost:7700")) {
 *   Rollout r = canary.create(RolloutSpec.newBuilder()
 *       .setService("shop").setStableVersion("v1").setCandidateVersion("v2").build());
 *   try (CanaryClient.RolloutWatch w = canary.watch(r.getId())) {
 *     while (w.hasNext()) {
 *       System.out.println(w.next().getState());
 *     }
 *   }
 * }
 * }</pre>
 *
 * <p>Every unary call has a deadline ({@link #DEFAULT_DEADLINE} unless set) and fails with the
 * server's {@link io.grpc.StatusRuntimeException}: INVALID_ARGUMENT (with a {@code
 * google.rpc.BadRequest} naming the bad fields), FAILED_PRECONDITION, NOT_FOUND, UNAVAILABLE.
 * Nothing is retried: these calls change a rollout, and the caller decides. Thread-safe.
 */
public final class CanaryClient implements AutoCloseable {

  /** Deadline of each unary call unless {@link #withDeadline} says otherwise. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

  private final Channel channel;
  private final ManagedChannel owned;
  private final Duration deadline;

  private CanaryClient(Channel channel, ManagedChannel owned, Duration deadline) {
    this.channel = channel;
    this.owned = owned;
    this.deadline = deadline;
  }

  /**
   * {@code connect} returns a client with its own plaintext channel to the control plane at {@code
   * hostPort}; it connects on the first call, and {@link #close()} shuts the channel down.
   *
   * @throws IllegalArgumentException when {@code hostPort} is not {@code host:port}
   */
  public static CanaryClient connect(String hostPort) {
    return connect(hostPort, InsecureChannelCredentials.create(), null);
  }

  /**
   * {@code connect} returns a plaintext client like {@link #connect(String)} whose calls pass through {@code
   * interceptors} (tracing, for one), the first listed seeing a call first.
   *
   * @throws IllegalArgumentException when {@code hostPort} is not {@code host:port}
   */
  public static CanaryClient connect(String hostPort, List<? extends ClientInterceptor> interceptors) {
    return connect(hostPort, InsecureChannelCredentials.create(), null, interceptors);
  }

  /**
   * {@code connect} returns a client with its own channel to the control plane at {@code hostPort}, secured by
   * {@code channelCredentials} (for example {@code ReloadingTls.forClient(settings).channelCredentials()},
   * or {@code InsecureChannelCredentials.create()} for plaintext), every call carrying {@code
   * callCredentials} when not null (for example a bearer token; gRPC sends them over secure channels
   * only). It connects on the first call, and {@link #close()} shuts the channel down.
   *
   * @throws IllegalArgumentException when {@code hostPort} is not {@code host:port}
   */
  public static CanaryClient connect(String hostPort, ChannelCredentials channelCredentials,
      CallCredentials callCredentials) {
    return connect(hostPort, channelCredentials, callCredentials, List.of());
  }

  /**
   * {@code connect} returns a client like {@link #connect(String, ChannelCredentials, CallCredentials)} whose calls
   * also pass through {@code interceptors}, the first listed seeing a call first.
   *
   * @throws IllegalArgumentException when {@code hostPort} is not {@code host:port}
   */
  public static CanaryClient connect(String hostPort, ChannelCredentials channelCredentials,
      CallCredentials callCredentials, List<? extends ClientInterceptor> interceptors) {
    Objects.requireNonNull(channelCredentials, "channelCredentials");
    String address = ControlPlaneAddresses.parse(hostPort).addresses().get(0);
    ManagedChannel c = NettyChannelBuilder.forTarget("dns:///" + address, channelCredentials)
        .intercept(List.copyOf(interceptors)).build();
    Channel calls = callCredentials == null ? c : ClientInterceptors.intercept(c, new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
          CallOptions options, Channel next) {
        return next.newCall(method, options.withCallCredentials(callCredentials));
      }
    });
    return new CanaryClient(calls, c, DEFAULT_DEADLINE);
  }

  /** {@code over} returns a client over {@code channel}, which it borrows: {@link #close()} leaves it open. */
  public static CanaryClient over(Channel channel) {
    return new CanaryClient(channel, null, DEFAULT_DEADLINE);
  }

  /**
   * {@code withDeadline} returns a client like this one whose unary calls have deadline {@code d}
   * (sharing the channel).
   */
  public CanaryClient withDeadline(Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("deadline must be positive: " + d);
    }
    return new CanaryClient(channel, null, d);
  }

  /**
   * {@code create} starts a rollout of {@code spec}; its first weights are pushed at once. Returns
   * it as created.
   */
  public Rollout create(RolloutSpec spec) {
    return stub().createRollout(CreateRolloutRequest.newBuilder().setSpec(spec).build()).getRollout();
  }

  /** {@code get} returns rollout {@code id}. */
  public Rollout get(String id) {
    return stub().getRollout(GetRolloutRequest.newBuilder().setId(id).build()).getRollout();
  }

  /**
   * {@code list} returns rollouts, newest first.
   *
   * @param service only this service's when not empty
   * @param activeOnly only those not finished
   */
  public List<Rollout> list(String service, boolean activeOnly) {
    return stub().listRollouts(ListRolloutsRequest.newBuilder().setService(service == null ? "" : service)
        .setActiveOnly(activeOnly).build()).getRolloutsList();
  }

  /** {@code promote} moves rollout {@code id} to its next stage now, or with {@code full} to 100 %. */
  public Rollout promote(String id, boolean full) {
    return stub().promote(PromoteRequest.newBuilder().setId(id).setFull(full).build()).getRollout();
  }

  /** {@code rollback} rolls rollout {@code id} back to the stable version, recording {@code reason}. */
  public Rollout rollback(String id, String reason) {
    return stub().rollback(RollbackRequest.newBuilder().setId(id).setReason(reason == null ? "" : reason).build())
        .getRollout();
  }

  /** {@code pause} pauses rollout {@code id}: weights hold, analysis stops deciding. */
  public Rollout pause(String id) {
    return stub().pause(PauseRequest.newBuilder().setId(id).build()).getRollout();
  }

  /** {@code resume} resumes paused rollout {@code id}. */
  public Rollout resume(String id) {
    return stub().resume(ResumeRequest.newBuilder().setId(id).build()).getRollout();
  }

  /** {@code abort} stops rollout {@code id}: the stable version gets all traffic back. */
  public Rollout abort(String id) {
    return stub().abort(AbortRequest.newBuilder().setId(id).build()).getRollout();
  }

  /**
   * {@code watch} follows rollout {@code id}: the returned iterator yields its state now, then each change,
   * blocking in {@code hasNext()} until one comes; it ends when the server ends the stream (the
   * rollout finished, or the server went away: {@code hasNext()} then throws its {@link
   * io.grpc.StatusRuntimeException}). No deadline: {@link RolloutWatch#close()} cancels it.
   */
  public RolloutWatch watch(String id) {
    Context.CancellableContext context = Context.current().withCancellation();
    Context previous = context.attach();
    try {
      Iterator<WatchRolloutResponse> it = CanaryServiceGrpc.newBlockingStub(channel)
          .watchRollout(WatchRolloutRequest.newBuilder().setId(id).build());
      return new RolloutWatch(it, context);
    } finally {
      context.detach(previous);
    }
  }

  /** Shuts down the channel if this client built it. */
  @Override
  public void close() {
    if (owned != null) {
      owned.shutdownNow();
      try {
        owned.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private CanaryServiceGrpc.CanaryServiceBlockingStub stub() {
    return CanaryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** {@code RolloutWatch} yields a rollout's states as they change; close it to stop watching. */
  public static final class RolloutWatch implements Iterator<Rollout>, AutoCloseable {
    private final Iterator<WatchRolloutResponse> responses;
    private final Context.CancellableContext context;

    private RolloutWatch(Iterator<WatchRolloutResponse> responses, Context.CancellableContext context) {
      this.responses = responses;
      this.context = context;
    }

    /** Blocks until the next state arrives (true) or the stream ends (false). */
    @Override
    public boolean hasNext() {
      return responses.hasNext();
    }

    @Override
    public Rollout next() {
      if (!hasNext()) {
        throw new NoSuchElementException("the watch ended");
      }
      return responses.next().getRollout();
    }

    /** Cancels the stream. */
    @Override
    public void close() {
      context.cancel(null);
    }
  }
}
