package dev.vertice.gateway.proxy;

import dev.vertice.gateway.balancer.EndpointKey;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.pool.AbstractChannelPoolHandler;
import io.netty.channel.pool.ChannelHealthChecker;
import io.netty.channel.pool.FixedChannelPool;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code UpstreamPools} holds the keep-alive HTTP/1.1 connections to upstream instances: one
 * bounded pool per (event loop, instance), so that a request and its upstream connection live on
 * the same event loop (no cross-thread hand-off on the request path). A pool opens at most {@code
 * maxConnections} connections; further acquires wait (bounded) for one to be released.
 */
final class UpstreamPools implements AutoCloseable {

  static final AttributeKey<FixedChannelPool> POOL = AttributeKey.valueOf("vertice.upstream.pool");

  private record Key(EventLoop loop, EndpointKey endpoint) {}

  private final ConcurrentHashMap<Key, FixedChannelPool> pools = new ConcurrentHashMap<>();
  private final int maxConnections;
  private final long acquireTimeoutMillis;
  private final int connectTimeoutMillis;
  private final long idleSeconds;
  private final Supplier<ChannelHandler> handler;

  UpstreamPools(int maxConnections, Duration connectTimeout, Duration idleTimeout, Supplier<ChannelHandler> handler) {
    this.maxConnections = maxConnections;
    this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
    this.acquireTimeoutMillis = connectTimeout.toMillis();
    this.idleSeconds = Math.max(1, idleTimeout.toSeconds());
    this.handler = handler;
  }

  /** {@code acquire} returns a connection to {@code endpoint} on {@code loop}; listeners run on {@code loop}. */
  Future<Channel> acquire(EventLoop loop, EndpointKey endpoint) {
    return pools.computeIfAbsent(new Key(loop, endpoint), this::newPool).acquire();
  }

  /** {@code release} hands {@code ch} back to its pool (a closed channel is dropped by the pool). */
  static void release(Channel ch) {
    FixedChannelPool pool = ch.attr(POOL).get();
    if (pool != null) {
      pool.release(ch);
    } else {
      ch.close();
    }
  }

  /** {@code remove} closes the pools of {@code gone} instances. */
  void remove(Set<EndpointKey> gone) {
    pools.entrySet().removeIf(e -> {
      if (gone.contains(e.getKey().endpoint())) {
        e.getValue().closeAsync();
        return true;
      }
      return false;
    });
  }

  /** {@code retain} closes the pools of instances not in {@code live}. */
  void retain(Set<EndpointKey> live) {
    pools.entrySet().removeIf(e -> {
      if (!live.contains(e.getKey().endpoint())) {
        e.getValue().closeAsync();
        return true;
      }
      return false;
    });
  }

  /** {@code size} returns the number of pools. */
  int size() {
    return pools.size();
  }

  private FixedChannelPool newPool(Key key) {
    Bootstrap b = new Bootstrap()
        .group(key.loop())
        .channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.AUTO_READ, true)
        .remoteAddress(InetSocketAddress.createUnresolved(key.endpoint().address(), key.endpoint().port()));
    FixedChannelPool[] self = new FixedChannelPool[1];
    self[0] = new FixedChannelPool(b, new AbstractChannelPoolHandler() {
      @Override
      public void channelCreated(Channel ch) {
        ch.attr(POOL).set(self[0]);
        ch.pipeline().addLast(new IdleStateHandler(0, 0, idleSeconds, TimeUnit.SECONDS), new HttpClientCodec(),
            handler.get());
      }
    }, ChannelHealthChecker.ACTIVE, FixedChannelPool.AcquireTimeoutAction.FAIL, acquireTimeoutMillis,
        maxConnections, 4096, true, true);
    return self[0];
  }

  @Override
  public void close() {
    pools.values().forEach(FixedChannelPool::closeAsync);
    pools.clear();
  }
}
