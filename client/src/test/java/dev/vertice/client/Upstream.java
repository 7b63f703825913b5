package dev.vertice.client;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** An upstream gRPC server on a loopback port (the grpc.health.v1 service) that counts the calls it serves. */
final class Upstream implements AutoCloseable {
  final AtomicInteger calls = new AtomicInteger();
  final Server server;
  /** Delay added before each call is served (a slow instance). */
  volatile long delayMillis;

  Upstream() throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    ServerInterceptor counter = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        calls.incrementAndGet();
        if (delayMillis > 0) {
          try {
            Thread.sleep(delayMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return next.startCall(call, headers);
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(health.getHealthService(), counter))
        .build().start();
  }

  int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    TestResources.awaitQuietly(() -> server.awaitTermination(5, TimeUnit.SECONDS));
  }
}
