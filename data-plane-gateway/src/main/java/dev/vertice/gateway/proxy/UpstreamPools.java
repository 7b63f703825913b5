package dev.vertice.gateway.proxy;

import dev.vertice.gateway.balancer.EndpointKey;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * {@code UpstreamPools} holds the keep-alive HTTP/1.1 connections to upstream instances: one pool
 * per (event loop, instance), so that a request and its upstream connection live on the same event
 * loop (no cross-thread hand-off on the request path), on the loop's transport (epoll or NIO).
 *
 * <p>A pool is touched only by its own event loop, so it needs no lock: taking an idle connection
 * ({@link #pollIdle}) is a map look-up and a deque poll, without a future. A pool opens at most
 * {@code maxConnections} connections; further {@link #acquire acquires} wait (at most the connect
 * timeout, at most {@value #MAX_WAITERS} of them) for one to be released. Removing instances
 * ({@link #remove}, {@link #retain}) and {@link #close} run on each loop in turn.
 */
final class UpstreamPools implements AutoCloseable {

  static final AttributeKey<LoopPool> POOL = AttributeKey.valueOf("vertice.upstream.pool");

  /** Acquires that may wait for a connection of one pool. */
  static final int MAX_WAITERS = 4096;

  /** Per event loop, its pools by instance: each inner map is read and written on its loop only. */
  private final ConcurrentHashMap<EventLoop, Map<EndpointKey, LoopPool>> loops = new ConcurrentHashMap<>();
  private final int maxConnections;
  private final long acquireTimeoutNanos;
  private final int connectTimeoutMillis;
  private final long idleSeconds;
  private final Supplier<ChannelHandler> handler;
  private volatile boolean closed;

  UpstreamPools(int maxConnections, Duration connectTimeout, Duration idleTimeout, Supplier<ChannelHandler> handler) {
    this.maxConnections = maxConnections;
    this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
    this.acquireTimeoutNanos = connectTimeout.toNanos();
    this.idleSeconds = Math.max(1, idleTimeout.toSeconds());
    this.handler = handler;
  }

  /**
   * {@code pollIdle} returns an idle open connection to {@code endpoint} on {@code loop}, or null
   * when there is none. Called on {@code loop}.
   */
  Channel pollIdle(EventLoop loop, EndpointKey endpoint) {
    Map<EndpointKey, LoopPool> pools = loops.get(loop);
    LoopPool pool = pools == null ? null : pools.get(endpoint);
    return pool == null ? null : pool.pollIdle();
  }

  /**
   * {@code acquire} returns a connection to {@code endpoint} on {@code loop}: an idle one, a new
   * one, or (at the limit) the next one released; listeners run on {@code loop}. Called on {@code loop}.
   */
  Future<Channel> acquire(EventLoop loop, EndpointKey endpoint) {
    if (closed) {
      return loop.newFailedFuture(new IllegalStateException("the gateway is shutting down"));
    }
    Map<EndpointKey, LoopPool> pools = loops.computeIfAbsent(loop, l -> new HashMap<>());
    LoopPool pool = pools.get(endpoint);
    if (pool == null) {
      pool = new LoopPool(loop, endpoint);
      pools.put(endpoint, pool);
    }
    return pool.acquire();
  }

  /** {@code release} hands {@code ch} back to its pool (a closed channel is dropped). On {@code ch}'s loop. */
  static void release(Channel ch) {
    LoopPool pool = ch.attr(POOL).get();
    if (pool != null) {
      pool.release(ch);
    } else {
      ch.close();
    }
  }

  /** {@code remove} closes the pools of {@code gone} instances. */
  void remove(Set<EndpointKey> gone) {
    closeWhere(gone::contains);
  }

  /** {@code retain} closes the pools of instances not in {@code live}. */
  void retain(Set<EndpointKey> live) {
    closeWhere(k -> !live.contains(k));
  }

  private void closeWhere(Predicate<EndpointKey> which) {
    loops.forEach((loop, pools) -> onLoop(loop, () -> pools.entrySet().removeIf(e -> {
      if (which.test(e.getKey())) {
        e.getValue().close();
        return true;
      }
      return false;
    })));
  }

  private static void onLoop(EventLoop loop, Runnable r) {
    if (loop.inEventLoop()) {
      r.run();
      return;
    }
    try {
      loop.execute(r);
    } catch (RejectedExecutionException e) {
      // The loop is shutting down: its channels close with it.
    }
  }

  @Override
  public void close() {
    closed = true;
    closeWhere(k -> true);
  }

  /** The connections to one instance from one event loop; used on that loop only. */
  final class LoopPool {
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    /** Connections open or being opened. */
    private int open;
    private boolean poolClosed;

    LoopPool(EventLoop loop, EndpointKey endpoint) {
      this.loop = loop;
      LoopPool self = this;
      this.bootstrap = new Bootstrap()
          .group(loop)
          .channel(Transports.socketChannel(loop))
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.AUTO_READ, true)
          .remoteAddress(InetSocketAddress.createUnresolved(endpoint.address(), endpoint.port()))
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.attr(POOL).set(self);
              // Idle upstream connections close; their last activity is always a read (the response's end).
              ch.pipeline().addLast(new ResponseIdleHandler(TimeUnit.SECONDS.toNanos(idleSeconds)), new HttpClientCodec(),
                  handler.get());
            }
          });
    }

    Channel pollIdle() {
      while (!idle.isEmpty()) {
        Channel ch = idle.pollLast();
        if (ch.isActive()) {
          return ch;
        }
      }
      return null;
    }

    Future<Channel> acquire() {
      Channel ch = pollIdle();
      if (ch != null) {
        return loop.newSucceededFuture(ch);
      }
      Promise<Channel> p = loop.newPromise();
      if (open < maxConnections) {
        connect(p);
      } else if (waiters.size() >= MAX_WAITERS) {
        p.setFailure(new IllegalStateException("too many requests waiting for a connection (" + MAX_WAITERS + ")"));
      } else {
        Waiter w = new Waiter(p);
        w.timer = loop.schedule(() -> {
          if (waiters.remove(w)) {
            p.tryFailure(new TimeoutException("no connection free within " + TimeUnit.NANOSECONDS.toMillis(
                acquireTimeoutNanos) + " ms (" + maxConnections + " per instance)"));
          }
        }, acquireTimeoutNanos, TimeUnit.NANOSECONDS);
        waiters.add(w);
      }
      return p;
    }

    private void connect(Promise<Channel> p) {
      open++;
      ChannelFuture f = bootstrap.connect();
      f.channel().closeFuture().addListener(x -> onClosed(f.channel()));
      f.addListener(x -> {
        if (f.isSuccess()) {
          if (!p.trySuccess(f.channel())) {
            release(f.channel());
          }
        } else {
          p.tryFailure(f.cause());
        }
      });
    }

    void release(Channel ch) {
      if (poolClosed || !ch.isActive()) {
        ch.close();
        return;
      }
      Waiter w = waiters.poll();
      if (w != null) {
        w.timer.cancel(false);
        if (w.promise.trySuccess(ch)) {
          return;
        }
      }
      idle.addLast(ch);
    }

    private void onClosed(Channel ch) {
      open--;
      idle.remove(ch);
      if (!poolClosed && !waiters.isEmpty() && open < maxConnections) {
        Waiter w = waiters.poll();
        w.timer.cancel(false);
        connect(w.promise);
      }
    }

    void close() {
      poolClosed = true;
      while (!idle.isEmpty()) {
        idle.poll().close();
      }
      while (!waiters.isEmpty()) {
        Waiter w = waiters.poll();
        w.timer.cancel(false);
        w.promise.tryFailure(new IllegalStateException("the instance is gone"));
      }
    }
  }

  private static final class Waiter {
    final Promise<Channel> promise;
    ScheduledFuture<?> timer;

    Waiter(Promise<Channel> promise) {
      this.promise = promise;
    }
  }
}
