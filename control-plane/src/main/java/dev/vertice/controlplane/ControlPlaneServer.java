package dev.vertice.controlplane;

import dev.vertice.api.canary.v1.CanaryServiceGrpc;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.common.Threads;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * {@code ControlPlaneServer} serves a {@link ControlPlane} on a TCP port, with the
 * grpc.health.v1 health service and server reflection.
 */
public final class ControlPlaneServer implements AutoCloseable {

  private static final Logger log = Logger.getLogger(ControlPlaneServer.class.getName());

  /** Threads for RegistryService calls when the store is remote (their calls wait on Redis). */
  static final int STORE_CALL_THREADS = 64;

  /** Largest request message accepted; larger ones fail with RESOURCE_EXHAUSTED. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;

  private final ControlPlane controlPlane;
  private final HealthStatusManager health = new HealthStatusManager();
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ExecutorService storeCalls;
  private final ScheduledExecutorService healthCheck;
  private final Server server;

  /**
   * Binds {@code host:port} (port 0 picks a free one) and starts serving.
   *
   * @throws IOException when the port cannot be bound
   */
  public ControlPlaneServer(ControlPlane controlPlane, String host, int port, int maxMessageBytes) throws IOException {
    this(controlPlane, host, port, maxMessageBytes, List.of());
  }

  /**
   * Binds {@code host:port} like {@link #ControlPlaneServer(ControlPlane, String, int, int)}, with
   * {@code interceptors} around every service (metrics, tracing); the first one listed sees a call first.
   *
   * @throws IOException when the port cannot be bound
   */
  public ControlPlaneServer(ControlPlane controlPlane, String host, int port, int maxMessageBytes,
      List<ServerInterceptor> interceptors) throws IOException {
    this(controlPlane, host, port, maxMessageBytes, interceptors, InsecureServerCredentials.create());
  }

  /**
   * Binds {@code host:port} like {@link #ControlPlaneServer(ControlPlane, String, int, int, List)},
   * with {@code credentials} securing the listener (for example {@code TlsServerCredentials}, with
   * or without client certificates).
   *
   * @throws IOException when the port cannot be bound
   */
  public ControlPlaneServer(ControlPlane controlPlane, String host, int port, int maxMessageBytes,
      List<ServerInterceptor> interceptors, ServerCredentials credentials) throws IOException {
    this(controlPlane, host, port, maxMessageBytes, interceptors, credentials, Integer.MAX_VALUE);
  }

  /**
   * Binds {@code host:port} like {@link #ControlPlaneServer(ControlPlane, String, int, int, List,
   * ServerCredentials)}, allowing at most {@code maxStreamsPerConnection} concurrent calls (HTTP/2
   * streams) per client connection: a further call ends with RESOURCE_EXHAUSTED ({@link
   * dev.vertice.controlplane.server.StreamsPerConnectionLimit}), and the transport advertises twice
   * the limit as HTTP/2 {@code SETTINGS_MAX_CONCURRENT_STREAMS} so that no client can go far beyond it.
   *
   * @throws IOException when the port cannot be bound
   */
  public ControlPlaneServer(ControlPlane controlPlane, String host, int port, int maxMessageBytes,
      List<ServerInterceptor> interceptors, ServerCredentials credentials, int maxStreamsPerConnection)
      throws IOException {
    if (maxStreamsPerConnection <= 0) {
      throw new IllegalArgumentException("maxStreamsPerConnection must be positive: " + maxStreamsPerConnection);
    }
    this.controlPlane = controlPlane;
    // One event loop per core: more threads than cores only adds context switches (measured by
    // bench push: p50 at 1000 watchers went from ~40 ms to ~25 ms on 2 cores).
    this.boss = new MultiThreadIoEventLoopGroup(1, Threads.daemon("vertice-accept"), NioIoHandler.newFactory());
    this.workers = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), Threads.daemon("vertice-io"),
        NioIoHandler.newFactory());
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(host, port), credentials)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .channelType(NioServerSocketChannel.class)
        // Handlers that only touch memory (short critical sections, no I/O) run on the transport
        // threads, which saves a thread hand-off per message.
        .directExecutor()
        // A fixed window turns off BDP probing, which pings on every read of a busy stream.
        .flowControlWindow(NettyServerBuilder.DEFAULT_FLOW_CONTROL_WINDOW)
        .maxInboundMessageSize(maxMessageBytes)
        .maxConcurrentCallsPerConnection(maxStreamsPerConnection >= Integer.MAX_VALUE / 2 ? Integer.MAX_VALUE
            : maxStreamsPerConnection * 2)
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    for (BindableService s : controlPlane.services()) {
      b.addService(s);
    }
    if (maxStreamsPerConnection != Integer.MAX_VALUE) {
      // Innermost: calls refused by it are still traced and counted by the interceptors below.
      b.intercept(new dev.vertice.controlplane.server.StreamsPerConnectionLimit(maxStreamsPerConnection));
    }
    // Names each call's connection, for the push engine's per-connection pending-bytes budget.
    b.intercept(new dev.vertice.controlplane.server.CallConnection());
    // ServerBuilder.intercept wraps in reverse order: the last added runs first.
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      b.intercept(interceptors.get(i));
    }
    if (controlPlane.backend().remote()) {
      // Writes to a remote store wait on the network (Redis, replication): they must never hold
      // a transport thread, or every stream on it would stall. They get threads of their own.
      this.storeCalls = Executors.newFixedThreadPool(STORE_CALL_THREADS, Threads.daemon("vertice-store-call"));
      b.callExecutor(new ServerCallExecutorSupplier() {
        @Override
        public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
          String service = call.getMethodDescriptor().getServiceName();
          return service.equals(RegistryServiceGrpc.SERVICE_NAME) || service.equals(StatsServiceGrpc.SERVICE_NAME)
              || service.equals(CanaryServiceGrpc.SERVICE_NAME)
              ? storeCalls : null;
        }
      });
    } else {
      this.storeCalls = null;
    }
    try {
      this.server = b.build().start();
    } catch (IOException e) {
      if (storeCalls != null) {
        storeCalls.shutdownNow();
      }
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
    setHealth(ServingStatus.SERVING);
    // A replica whose view stopped following a shared store serves a frozen registry: it says so
    // on grpc.health.v1, so that load balancers and probes move traffic to replicas that follow.
    this.healthCheck = Executors.newSingleThreadScheduledExecutor(Threads.daemon("vertice-health"));
    healthCheck.scheduleWithFixedDelay(this::checkStore, 1, 1, TimeUnit.SECONDS);
  }

  private volatile boolean serving = true;

  private void checkStore() {
    boolean following = controlPlane.store().following();
    if (following != serving) {
      serving = following;
      log.warning(following ? "the store is followed again: SERVING"
          : "the store cannot be followed (Redis unreachable): NOT_SERVING; watches are served from a frozen view");
      setHealth(following ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }
  }

  private void setHealth(ServingStatus status) {
    health.setStatus("", status);
    health.setStatus("vertice.registry.v1.RegistryService", status);
    health.setStatus("vertice.discovery.v1.DiscoveryService", status);
    health.setStatus(StatsServiceGrpc.SERVICE_NAME, status);
    health.setStatus(AggregatedDiscoveryServiceGrpc.SERVICE_NAME, status);
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
    healthCheck.shutdownNow();
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
    if (storeCalls != null) {
      // Let calls already running on the store (a grace period being started) finish first.
      storeCalls.shutdown();
      try {
        storeCalls.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      storeCalls.shutdownNow();
    }
    controlPlane.close();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
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
