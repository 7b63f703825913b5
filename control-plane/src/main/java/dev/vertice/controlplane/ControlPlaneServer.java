package dev.vertice.controlplane;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * {@code ControlPlaneServer} serves a {@link ControlPlane} on a TCP port, with the
 * grpc.health.v1 health service and server reflection.
 */
public final class ControlPlaneServer implements AutoCloseable {

  private static final Logger log = Logger.getLogger(ControlPlaneServer.class.getName());

  /** Largest request message accepted; larger ones fail with RESOURCE_EXHAUSTED. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;

  private final ControlPlane controlPlane;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Server server;

  /**
   * Binds {@code host:port} (port 0 picks a free one) and starts serving.
   *
   * @throws IOException when the port cannot be bound
   */
  public ControlPlaneServer(ControlPlane controlPlane, String host, int port, int maxMessageBytes) throws IOException {
    this.controlPlane = controlPlane;
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        // Every handler is non-blocking (short critical sections, no I/O): running them on the
        // transport threads saves a thread hand-off per message.
        .directExecutor()
        // A fixed window turns off BDP probing, which pings on every read of a busy stream.
        .flowControlWindow(NettyServerBuilder.DEFAULT_FLOW_CONTROL_WINDOW)
        .maxInboundMessageSize(maxMessageBytes)
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    for (BindableService s : controlPlane.services()) {
      b.addService(s);
    }
    this.server = b.build().start();
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus("vertice.registry.v1.RegistryService", ServingStatus.SERVING);
    health.setStatus("vertice.discovery.v1.DiscoveryService", ServingStatus.SERVING);
  }

  /** Returns the bound port. */
  public int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  public ControlPlane controlPlane() {
    return controlPlane;
  }

  /**
   * Stops gracefully: reports NOT_SERVING, ends every stream with UNAVAILABLE so that clients
   * reconnect elsewhere, lets unary calls finish for up to {@code grace}, then stops.
   */
  public void stop(Duration grace) {
    health.enterTerminalState();
    controlPlane.shutdownStreams();
    server.shutdown();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warning("calls still running after " + grace + "; cancelling them");
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    controlPlane.close();
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(5));
  }

  /** Blocks until the server has terminated. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }
}
