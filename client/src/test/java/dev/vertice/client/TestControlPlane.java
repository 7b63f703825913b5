package dev.vertice.client;

import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.GetServiceRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.client.internal.ProtoDurations;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.testkit.ReusablePorts;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code TestControlPlane} runs a real control plane on a loopback port, with a blocking registry
 * stub of its own (independent of the clients under test) to change its state.
 */
final class TestControlPlane implements AutoCloseable {

  final ControlPlane controlPlane;
  final ControlPlaneServer server;
  private final ManagedChannel admin;
  private final RegistryServiceGrpc.RegistryServiceBlockingStub registry;
  private boolean stopped;

  private TestControlPlane(ControlPlane controlPlane, ControlPlaneServer server) {
    this.controlPlane = controlPlane;
    this.server = server;
    this.admin = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    this.registry = RegistryServiceGrpc.newBlockingStub(admin).withInterceptors(TestDeadlines.grpc());
  }

  /** Starts a control plane with defaults on a free port. */
  static TestControlPlane start() {
    return start(ControlPlane.builder(), 0);
  }

  /**
   * Starts a control plane with defaults on a port below the kernel's ephemeral range, for a test
   * that stops it and starts another on the same port: no outgoing connection can take that port
   * in between ({@link ReusablePorts}).
   */
  static TestControlPlane startOnReusablePort() throws IOException {
    ControlPlane cp = ControlPlane.builder().build();
    try {
      return ReusablePorts.bindBelowEphemeralRange(port -> new TestControlPlane(cp,
          new ControlPlaneServer(cp, "127.0.0.1", port, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES)));
    } catch (IOException | RuntimeException e) {
      cp.close();
      throw e;
    }
  }

  /**
   * Starts {@code builder}'s control plane on {@code port} (0: a free one), retrying the bind for a
   * few seconds when the port is still held by a server that just stopped.
   */
  static TestControlPlane start(ControlPlane.Builder builder, int port) {
    ControlPlane cp = builder.build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return new TestControlPlane(cp, new ControlPlaneServer(cp, "127.0.0.1", port,
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

  int port() {
    return server.port();
  }

  String address() {
    return "127.0.0.1:" + server.port();
  }

  RegisterResponse register(String service, String instanceId, int port) {
    return register(service, instanceId, port, Duration.ofSeconds(60));
  }

  RegisterResponse register(String service, String instanceId, int port, Duration ttl) {
    return registry.withDeadlineAfter(5, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder()
            .setService(service)
            .setInstanceId(instanceId)
            .setAddress("127.0.0.1")
            .setPort(port))
        .setTtl(ProtoDurations.toProto(ttl))
        .build());
  }

  void deregister(String service, String instanceId) {
    registry.withDeadlineAfter(5, TimeUnit.SECONDS).deregister(
        DeregisterRequest.newBuilder().setService(service).setInstanceId(instanceId).build());
  }

  void setHealth(String service, String instanceId, HealthStatus health) {
    registry.withDeadlineAfter(5, TimeUnit.SECONDS).setHealth(SetHealthRequest.newBuilder()
        .setService(service).setInstanceId(instanceId).setHealth(health).build());
  }

  /** Returns the version of {@code service}'s Endpoints resource, as the registry API reports it. */
  String resourceVersion(String service) {
    return registry.withDeadlineAfter(5, TimeUnit.SECONDS)
        .getService(GetServiceRequest.newBuilder().setService(service).build()).getResourceVersion();
  }

  /** Returns the instance ids the registry holds for {@code service} (empty when it has none). */
  List<String> instanceIds(String service) {
    ServiceView view = controlPlane.registry().service(service);
    return view == null ? List.of() : view.instances().stream().map(Instance::getInstanceId).toList();
  }

  long resourcesSent() {
    return controlPlane.engine().stats().resourcesSent();
  }

  /** Stops the server the way an operator would: streams end with UNAVAILABLE, state is lost. */
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
