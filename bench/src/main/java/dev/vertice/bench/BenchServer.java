package dev.vertice.bench;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.registry.RegistryConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code BenchServer} is a control plane on a loopback port plus the client channels a bench opens. */
final class BenchServer implements AutoCloseable {

  final ControlPlaneServer server;
  private final List<ManagedChannel> channels = new ArrayList<>();
  // The watchers' side gets one event loop per core too, like the server.
  private final EventLoopGroup clientLoops =
      new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), NioIoHandler.newFactory());

  BenchServer(ConvergenceListener listener) throws IOException {
    ControlPlane cp = ControlPlane.builder()
        .registryConfig(RegistryConfig.custom().maxInstances(5_000_000).build())
        .convergenceListener(listener)
        .build();
    server = new ControlPlaneServer(cp, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES);
  }

  ManagedChannel channel() {
    // The bench's callbacks never block, so they run on the transport threads.
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().directExecutor()
        .eventLoopGroup(clientLoops).channelType(NioSocketChannel.class)
        .flowControlWindow(NettyChannelBuilder.DEFAULT_FLOW_CONTROL_WINDOW)
        .maxInboundMessageSize(16 << 20).build();
    channels.add(c);
    return c;
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    try {
      for (ManagedChannel c : channels) {
        c.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.stop(Duration.ofSeconds(2));
    clientLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
