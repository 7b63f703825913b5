package dev.vertice.observability.http;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * {@code HttpEventLoops} are event-loop threads that several {@link SmallHttpServer}s share (for
 * example the demo's dozens of instances in one JVM): daemon threads named {@code name-p-n},
 * started lazily, one per connection at most. Closing it stops every server on it; a server
 * given shared loops does not close them.
 */
public final class HttpEventLoops implements AutoCloseable {

  private final EventLoopGroup group;

  private HttpEventLoops(EventLoopGroup group) {
    this.group = group;
  }

  /**
   * {@code create} returns {@code threads} event loops (1..{@value
   * SmallHttpServerConfig#MAX_EVENT_LOOP_THREADS}) whose threads are named after {@code name}.
   */
  public static HttpEventLoops create(String name, int threads) {
    if (threads < 1 || threads > SmallHttpServerConfig.MAX_EVENT_LOOP_THREADS) {
      throw new IllegalArgumentException("threads must be in 1.." + SmallHttpServerConfig.MAX_EVENT_LOOP_THREADS
          + ": " + threads);
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank: '" + name + "'");
    }
    // Netty's own factory: FastThreadLocalThreads, which its buffer pools and thread locals favour.
    return new HttpEventLoops(new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true),
        NioIoHandler.newFactory()));
  }

  EventLoopGroup group() {
    return group;
  }

  /** {@code close} stops the threads (at once: connections still open are dropped). */
  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
