package dev.vertice.interop.polyglot;

import com.google.protobuf.util.Durations;
import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code LocalControlPlane} runs a real control plane (in-process {@link ControlPlaneServer}) on a
 * loopback port, with a registry stub of its own to change its state.
 */
final class LocalControlPlane implements AutoCloseable {

  final ControlPlane controlPlane;
  private final ControlPlaneServer server;
  private final ManagedChannel admin;
  private final RegistryServiceGrpc.RegistryServiceBlockingStub registry;
  private boolean stopped;

  private LocalControlPlane(ControlPlane controlPlane, ControlPlaneServer server) {
    this.controlPlane = controlPlane;
    this.server = server;
    this.admin = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    this.registry = RegistryServiceGrpc.newBlockingStub(admin).withInterceptors(TestDeadlines.grpc());
  }

  /**
   * Starts {@code builder}'s control plane on {@code port} (0: a free one), retrying the bind for up
   * to 10 s while the port is still held by a server that just stopped.
   */
  static LocalControlPlane start(ControlPlane.Builder builder, int port) {
    return bind(builder.build(), port);
  }

  /**
   * As {@link #start}, with {@code setUp} run against the control plane's RegistryService (in
   * process) before the port opens: a client that reconnects the moment it opens finds that state.
   */
  static LocalControlPlane start(ControlPlane.Builder builder, int port,
      Consumer<RegistryServiceGrpc.RegistryServiceBlockingStub> setUp) {
    ControlPlane cp = builder.build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder in = InProcessServerBuilder.forName(name).directExecutor();
    cp.services().forEach(in::addService);
    Server server = null;
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      server = in.build().start();
      setUp.accept(RegistryServiceGrpc.newBlockingStub(channel).withInterceptors(TestDeadlines.grpc()));
    } catch (IOException | RuntimeException | Error e) {
      cp.close();
      throw new AssertionError("setting up the control plane failed", e);
    } finally {
      channel.shutdownNow();
      if (server != null) {
        server.shutdownNow();
      }
    }
    return bind(cp, port);
  }

  private static LocalControlPlane bind(ControlPlane cp, int port) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return new LocalControlPlane(cp, new ControlPlaneServer(cp, "127.0.0.1", port,
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
    return register(registry, service, instanceId, port);
  }

  /** Registers {@code instanceId} of {@code service} at 127.0.0.1:{@code port}, TTL 60 s, through {@code registry}. */
  static RegisterResponse register(RegistryServiceGrpc.RegistryServiceBlockingStub registry, String service,
      String instanceId, int port) {
    return registry.withDeadlineAfter(10, TimeUnit.SECONDS).register(RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder()
            .setService(service).setInstanceId(instanceId).setAddress("127.0.0.1").setPort(port))
        .setTtl(Durations.fromSeconds(60))
        .build());
  }

  void deregister(String service, String instanceId) {
    registry.withDeadlineAfter(10, TimeUnit.SECONDS).deregister(
        DeregisterRequest.newBuilder().setService(service).setInstanceId(instanceId).build());
  }

  /** Returns the instance ids the registry holds for {@code service} (empty when it has none). */
  List<String> instanceIds(String service) {
    ServiceView view = controlPlane.registry().service(service);
    return view == null ? List.of() : view.instances().stream().map(Instance::getInstanceId).toList();
  }

  /** Stops the server as an operator would: streams end with UNAVAILABLE, the in-memory state is lost. */
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
