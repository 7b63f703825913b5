package dev.vertice.controlplane.store.redis;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.registry.RegistryConfig;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** One control-plane replica on a shared Redis, behind a uniquely named in-process server. */
public final class Replica implements AutoCloseable {

  /** Short leases so that expiry and grace happen within a test. */
  static final RegistryConfig FAST_LEASES = RegistryConfig.custom()
      .minTtl(Duration.ofMillis(500)).defaultTtl(Duration.ofSeconds(2)).grace(Duration.ofSeconds(1))
      .expiryResolution(Duration.ofMillis(100)).build();

  public final ControlPlane controlPlane;
  final Server server;
  public final ManagedChannel channel;

  Replica(RedisStoreConfig redis) throws IOException {
    this(ControlPlane.builder().registryConfig(FAST_LEASES).redis(redis));
  }

  /** Builds the control plane {@code builder} describes (on a shared Redis, real time) and serves it. */
  public Replica(ControlPlane.Builder builder) throws IOException {
    controlPlane = builder.build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
    for (BindableService s : controlPlane.services()) {
      b.addService(s);
    }
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  RedisRegistryStore store() {
    return (RedisRegistryStore) controlPlane.store();
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
