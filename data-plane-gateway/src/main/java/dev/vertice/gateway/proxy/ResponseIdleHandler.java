package dev.vertice.gateway.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * {@code ResponseIdleHandler} is the idle timeout of a cleartext HTTP/1.1 connection: Netty's
 * {@link IdleStateHandler} (all-idle) without its per-write bookkeeping (it turns every write's
 * void promise into a new one and adds a listener to it: two writes per response, each a promise
 * and a listener). The connection's {@link ProxyHandler} marks the end of each response instead
 * ({@link #resetWriteTimeout}), which is what the idle close looks at: it ignores idle events while a
 * response is in flight. When the connection becomes HTTP/2 (h2c), the proxy handler puts Netty's
 * handler back, since the streams' writes are then the only sign of life a download gives. Upstream
 * connections use it too: one in use ignores idle events, and a released one last read a response.
 */
final class ResponseIdleHandler extends IdleStateHandler {

  private final long idleNanos;

  ResponseIdleHandler(long idleNanos) {
    super(0, 0, idleNanos, TimeUnit.NANOSECONDS);
    this.idleNanos = idleNanos;
  }

  /** Netty's handler with the same timeout, tracking each write. */
  IdleStateHandler tracking() {
    return new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    ctx.write(msg, promise);
  }
}
