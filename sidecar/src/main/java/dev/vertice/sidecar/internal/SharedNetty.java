package dev.vertice.sidecar.internal;

import dev.vertice.common.Threads;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code SharedNetty} holds the one Netty event loop every sidecar in the JVM uses for its
 * channels (to the control plane and to a gRPC app). One thread is plenty for a few streams and
 * keeps the footprint small; it is a daemon and lives as long as the JVM.
 */
public final class SharedNetty {

  /** Interval of HTTP/2 keepalive pings to the control plane; it permits 10 s or more. */
  static final long KEEPALIVE_SECONDS = 20;
  /** Time to wait for a keepalive ping's answer before the connection is considered dead. */
  static final long KEEPALIVE_TIMEOUT_SECONDS = 10;
  /** Largest message accepted from the control plane (WatchClient's default). */
  static final int MAX_INBOUND_MESSAGE_BYTES = 16 << 20;

  private static final class Holder {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, Threads.daemon("vertice-sidecar-io"),
        NioIoHandler.newFactory());
  }

  private SharedNetty() {}

  /**
   * {@code channel} builds a plaintext channel to {@code host:port} on the shared event loop; calls
   * complete on that loop (callers never block it: the clients hand off to their own executors).
   */
  public static ManagedChannel channel(String host, int port) {
    return NettyChannelBuilder.forAddress(host, port)
        .usePlaintext()
        .eventLoopGroup(Holder.GROUP)
        .channelType(NioSocketChannel.class)
        .directExecutor()
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .build();
  }

  /**
   * {@code controlPlaneChannel} builds a channel to a control-plane replica given as {@code
   * host:port}, with HTTP/2 keepalive so that a dead replica is noticed.
   */
  public static ManagedChannel controlPlaneChannel(String address) {
    return controlPlaneChannel(address, List.of());
  }

  /**
   * {@code controlPlaneChannel} is {@link #controlPlaneChannel(String)} with {@code interceptors}
   * on every call (tracing).
   */
  public static ManagedChannel controlPlaneChannel(String address, List<ClientInterceptor> interceptors) {
    return controlPlaneChannel(address, interceptors, InsecureChannelCredentials.create());
  }

  /**
   * {@code controlPlaneChannel} is {@link #controlPlaneChannel(String, List)} secured by {@code
   * credentials} (for example TLS channel credentials, maybe with a client certificate).
   */
  public static ManagedChannel controlPlaneChannel(String address, List<ClientInterceptor> interceptors,
      ChannelCredentials credentials) {
    // An explicit scheme: a host named like a registered scheme ("vertice") must still mean DNS.
    return NettyChannelBuilder.forTarget("dns:///" + address, credentials)
        .eventLoopGroup(Holder.GROUP)
        .channelType(NioSocketChannel.class)
        .directExecutor()
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .intercept(interceptors)
        .build();
  }
}
