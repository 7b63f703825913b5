package dev.vertice.bench;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptor;
import io.grpc.netty.NettyChannelBuilder;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * {@code BenchServer} is one or more control-plane replicas on loopback ports, sharing one store,
 * plus the client channels a bench opens to them.
 *
 * <p>On the in-memory store there is one replica. On Redis every replica follows the same keys (a
 * prefix of this bench's own), and {@link #close()} deletes them.
 */
final class BenchServer implements AutoCloseable {

  private final List<ControlPlaneServer> replicas = new ArrayList<>();
  private final RedisStoreConfig redis;
  private final List<ManagedChannel> channels = new ArrayList<>();
  // The watchers' side gets one event loop per core too, like the server.
  private final EventLoopGroup clientLoops =
      new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), NioIoHandler.newFactory());

  /**
   * Starts {@code count} replicas on {@code store}; replica {@code i} reports convergence to
   * {@code listeners.apply(i)}.
   *
   * @throws IllegalArgumentException when several replicas are asked of the in-memory store
   * @throws IllegalStateException when the store cannot be reached
   * @throws IOException when no loopback port can be bound
   */
  BenchServer(BenchStore store, int count, IntFunction<ConvergenceListener> listeners) throws IOException {
    this(store, count, (cp, i) -> cp.convergenceListener(listeners.apply(i)), List.of());
  }

  /**
   * Starts {@code count} replicas on {@code store}, each built by {@code setup} (given the replica's
   * index and builder: listeners, for one) and serving calls through {@code interceptors}.
   */
  BenchServer(BenchStore store, int count, java.util.function.ObjIntConsumer<ControlPlane.Builder> setup,
      List<ServerInterceptor> interceptors) throws IOException {
    if (count < 1 || (count > 1 && !store.shared())) {
      throw new IllegalArgumentException("replicas share a Redis store: " + count + " replicas on " + store.kind());
    }
    this.redis = store.shared() ? store.isolatedRedis() : null;
    try {
      for (int i = 0; i < count; i++) {
        ControlPlane.Builder cp = ControlPlane.builder()
            .registryConfig(RegistryConfig.custom().maxInstances(5_000_000).maxInstancesPerService(5_000_000).build());
        setup.accept(cp, i);
        if (redis != null) {
          cp.redis(redis);
        }
        replicas.add(new ControlPlaneServer(cp.build(), "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES,
            interceptors));
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Returns replica {@code i}. */
  ControlPlaneServer replica(int i) {
    return replicas.get(i);
  }

  /** Returns the replicas, in the order they started. */
  List<ControlPlaneServer> replicas() {
    return replicas;
  }

  /** Returns a new client connection to replica 0. */
  ManagedChannel channel() {
    return channel(0);
  }

  /** Returns a new client connection to replica {@code i}. */
  ManagedChannel channel(int i) {
    // The bench's callbacks never block, so they run on the transport threads.
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", replicas.get(i).port()).usePlaintext()
        .directExecutor().eventLoopGroup(clientLoops).channelType(NioSocketChannel.class)
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
    for (ControlPlaneServer s : replicas) {
      s.stop(Duration.ofSeconds(2));
    }
    if (redis != null && !replicas.isEmpty()) {
      deleteKeys(redis);
    }
    clientLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  /** Deletes every key under the run's prefix: a bench leaves nothing behind in a shared Redis. */
  private static void deleteKeys(RedisStoreConfig c) {
    RedisClient client = RedisClient.create(c.redisUri());
    client.setOptions(c.clientOptions().build());
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> redis = connection.sync();
      // The prefix is a hash tag of hex digits: no glob characters to escape.
      ScanArgs match = ScanArgs.Builder.matches(c.prefix() + ":*").limit(1000);
      KeyScanCursor<String> cursor = redis.scan(match);
      while (true) {
        if (!cursor.getKeys().isEmpty()) {
          redis.unlink(cursor.getKeys().toArray(String[]::new));
        }
        if (cursor.isFinished()) {
          break;
        }
        cursor = redis.scan(cursor, match);
      }
    } catch (RedisException e) {
      System.err.println("could not delete the bench's keys " + c.prefix() + ":* from " + c + ": " + e.getMessage());
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
