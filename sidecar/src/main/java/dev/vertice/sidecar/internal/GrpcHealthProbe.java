package dev.vertice.sidecar.internal;

import dev.vertice.sidecar.HealthProbe;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code GrpcHealthProbe} calls grpc.health.v1 Check on the app and counts SERVING as healthy. It
 * keeps one channel to the app, on the sidecar's shared event loop.
 */
public final class GrpcHealthProbe implements HealthProbe {

  private final String target;
  private final String service;
  private final Duration timeout;
  private final ManagedChannel channel;
  private final HealthGrpc.HealthBlockingStub stub;

  /** {@code GrpcHealthProbe} checks {@code service} ("" for the whole server) on {@code host:port}. */
  public GrpcHealthProbe(String host, int port, String service, Duration timeout) {
    this.target = host + ":" + port;
    this.service = service;
    this.timeout = timeout;
    this.channel = SharedNetty.channel(host, port);
    this.stub = HealthGrpc.newBlockingStub(channel);
  }

  @Override
  public boolean check() {
    // A channel waiting out its own reconnect backoff would fail fast for seconds: the probe paces itself.
    channel.resetConnectBackoff();
    try {
      return stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus() == ServingStatus.SERVING;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  @Override
  public String describe() {
    return "grpc.health.v1 Check(\"" + service + "\") on " + target;
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
