package dev.vertice.gateway.health;

import com.sun.net.httpserver.HttpServer;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.WatchClient;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Real servers on loopback for the health-check tests: a control plane, HTTP and gRPC upstreams. */
final class HealthFixtures {

  private HealthFixtures() {}

  /** A real control plane on a free port, a registry stub to change it, and a watch client of it. */
  static final class Plane implements AutoCloseable {
    final ControlPlane controlPlane = ControlPlane.builder().build();
    final ControlPlaneServer server;
    final ManagedChannel admin;
    final RegistryServiceGrpc.RegistryServiceBlockingStub registry;
    final WatchClient watch;

    Plane() throws IOException {
      server = new ControlPlaneServer(controlPlane, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES);
      admin = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      registry = RegistryServiceGrpc.newBlockingStub(admin).withInterceptors(TestDeadlines.grpc());
      watch = WatchClient.builder().controlPlane("127.0.0.1:" + server.port()).nodeKind("gateway").build();
      watch.subscribeAll();
    }

    /** Registers an instance of {@code service} on loopback {@code port} (a generous deadline: a cold JVM on a busy machine). */
    void register(String service, String id, int port, Protocol protocol, Map<String, String> metadata) {
      registry.withDeadlineAfter(30, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
          .setInstance(Instance.newBuilder().setService(service).setInstanceId(id).setAddress("127.0.0.1")
              .setPort(port).setProtocol(protocol).putAllMetadata(metadata))
          .build());
    }

    /** Waits until the watch client's snapshot of {@code service} holds {@code count} instances. */
    ServiceSnapshot awaitInstances(String service, int count) {
      Await.until(service + " has " + count + " instances in the snapshot", java.time.Duration.ofSeconds(30),
          () -> watch.get(service).map(s -> s.instances().size() == count).orElse(false));
      return watch.get(service).orElseThrow();
    }

    @Override
    public void close() {
      watch.close();
      admin.shutdownNow();
      server.stop(Duration.ofMillis(500));
    }
  }

  /** A real HTTP server on a free loopback port answering GET {@code path} with a settable status. */
  static final class HttpHealth implements AutoCloseable {
    final HttpServer server;
    final AtomicInteger hits = new AtomicInteger();
    volatile int status = 200;

    HttpHealth(String path) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(path, exchange -> {
        hits.incrementAndGet();
        byte[] body = "{\"ok\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
      });
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** A real gRPC server on a free loopback port serving grpc.health.v1 with a settable status. */
  static final class GrpcHealth implements AutoCloseable {
    final HealthStatusManager health = new HealthStatusManager();
    final Server server;
    final AtomicInteger calls = new AtomicInteger();

    GrpcHealth() throws IOException {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(io.grpc.ServerInterceptors.intercept(health.getHealthService(), new io.grpc.ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call,
                io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
              calls.incrementAndGet();
              return next.startCall(call, headers);
            }
          }))
          .build().start();
    }

    void set(ServingStatus s) {
      health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, s);
    }

    int port() {
      return server.getPort();
    }

    @Override
    public void close() {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
