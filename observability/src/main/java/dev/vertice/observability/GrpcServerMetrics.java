package dev.vertice.observability;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code GrpcServerMetrics} times every gRPC call a server answers: {@code
 * vertice_rpc_server_seconds{method, type, code}}, a histogram from the call's start to its close.
 *
 * <p>{@code type} is "unary" or "streaming" (a stream's time is how long it lived, so latency alerts
 * select {@code type="unary"}). {@code method} is the full method name, a bounded set fixed by the
 * services the server binds; {@code code} is the gRPC status code.
 */
public final class GrpcServerMetrics implements ServerInterceptor {

  static final Duration[] BUCKETS = {
      Duration.ofNanos(250_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5),
      Duration.ofSeconds(30)};

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

  /** Registers call timers in {@code registry} as calls happen. */
  public GrpcServerMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    String type = call.getMethodDescriptor().getType() == MethodType.UNARY ? "unary" : "streaming";
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        timer(method, type, status.getCode()).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        super.close(status, trailers);
      }
    }, headers);
  }

  private Timer timer(String method, String type, Status.Code code) {
    return timers.computeIfAbsent(method + '|' + code, k -> Timer.builder("vertice.rpc.server")
        .description("gRPC calls answered by this server, from start to close")
        .tag("method", method).tag("type", type).tag("code", code.name())
        .serviceLevelObjectives(BUCKETS).register(registry));
  }
}
