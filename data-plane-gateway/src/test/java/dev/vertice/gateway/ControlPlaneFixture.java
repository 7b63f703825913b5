package dev.vertice.gateway;

import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@code ControlPlaneFixture} runs a real control plane on loopback with a registry stub to change it. */
final class ControlPlaneFixture implements AutoCloseable {

  final ControlPlane controlPlane;
  final ControlPlaneServer server;
  private final ManagedChannel admin;
  private final RegistryServiceGrpc.RegistryServiceBlockingStub registry;
  private boolean stopped;

  private ControlPlaneFixture(ControlPlane cp, ControlPlaneServer server) {
    this(cp, server, NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build());
  }

  private ControlPlaneFixture(ControlPlane cp, ControlPlaneServer server, ManagedChannel admin) {
    this.controlPlane = cp;
    this.server = server;
    this.admin = admin;
    this.registry = RegistryServiceGrpc.newBlockingStub(admin).withInterceptors(TestDeadlines.grpc());
  }

  /**
   * Starts a control plane on a free port serving {@code credentials} (TLS, maybe mutual); the
   * fixture's own registry calls use {@code adminCredentials}, reaching it as {@code localhost}.
   */
  static ControlPlaneFixture startTls(io.grpc.ServerCredentials credentials, io.grpc.ChannelCredentials adminCredentials)
      throws IOException {
    ControlPlane cp = ControlPlane.builder().build();
    ControlPlaneServer server;
    try {
      server = new ControlPlaneServer(cp, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES,
          java.util.List.of(), credentials);
    } catch (IOException | RuntimeException e) {
      cp.close();
      throw e;
    }
    return new ControlPlaneFixture(cp, server,
        NettyChannelBuilder.forTarget("localhost:" + server.port(), adminCredentials).build());
  }

  /** Starts a control plane on {@code port} (0: a free one), retrying while a just-stopped one holds it. */
  static ControlPlaneFixture start(int port) {
    return start(ControlPlane.builder(), port);
  }

  /** Starts {@code builder}'s control plane on {@code port} (0: a free one). */
  static ControlPlaneFixture start(ControlPlane.Builder builder, int port) {
    ControlPlane cp = builder.build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return new ControlPlaneFixture(cp, new ControlPlaneServer(cp, "127.0.0.1", port,
            ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES));
      } catch (IOException e) {
        if (System.nanoTime() - deadline > 0) {
          cp.close();
          throw new AssertionError("could not bind port " + port, e);
        }
        Thread.onSpinWait();
      }
    }
  }

  static ControlPlaneFixture start() {
    return start(0);
  }

  int port() {
    return server.port();
  }

  String address() {
    return "127.0.0.1:" + server.port();
  }

  void register(String service, String id, int port) {
    register(service, id, port, "v1", 100, Protocol.PROTOCOL_HTTP);
  }

  void register(String service, String id, int port, String version, int weight, Protocol protocol) {
    registerAt(service, id, "127.0.0.1", port, version, weight, protocol);
  }

  /** Registers an instance at {@code address} (a name or an IP literal), not at 127.0.0.1. */
  void registerAt(String service, String id, String address, int port, String version, int weight,
      Protocol protocol) {
    registry.withDeadlineAfter(30, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder().setService(service).setInstanceId(id).setAddress(address)
            .setPort(port).setVersion(version).setWeight(weight).setProtocol(protocol))
        .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(Duration.ofMinutes(10).toSeconds()))
        .build());
  }

  void deregister(String service, String id) {
    registry.withDeadlineAfter(30, TimeUnit.SECONDS).deregister(
        DeregisterRequest.newBuilder().setService(service).setInstanceId(id).build());
  }

  void setHealth(String service, String id, HealthStatus health) {
    registry.withDeadlineAfter(30, TimeUnit.SECONDS).setHealth(SetHealthRequest.newBuilder()
        .setService(service).setInstanceId(id).setHealth(health).build());
  }

  void stop() {
    if (!stopped) {
      stopped = true;
      admin.shutdownNow();
      server.stop(Duration.ofMillis(500));
    }
  }

  @Override
  public void close() {
    stop();
  }
}
