package dev.vertice.controlplane.server;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.testkit.FakeClock;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/** A control plane on a fake clock behind a uniquely named in-process server; close() cleans up. */
final class InProcessControlPlane implements AutoCloseable {
  final FakeClock clock = new FakeClock();
  final ControlPlane controlPlane;
  final Server server;
  final ManagedChannel channel;

  InProcessControlPlane() throws IOException {
    this(RegistryConfig.ofDefaults());
  }

  InProcessControlPlane(RegistryConfig config) throws IOException {
    this(b -> b.registryConfig(config));
  }

  InProcessControlPlane(UnaryOperator<ControlPlane.Builder> configure) throws IOException {
    controlPlane = configure.apply(ControlPlane.builder().ticker(clock).scheduler(clock.scheduler())).build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
    for (BindableService s : controlPlane.services()) {
      b.addService(s);
    }
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @Override
  public void close() {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      controlPlane.close();
    }
  }
}
