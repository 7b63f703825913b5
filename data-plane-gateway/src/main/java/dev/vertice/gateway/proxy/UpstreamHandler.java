package dev.vertice.gateway.proxy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * {@code UpstreamHandler} hands what an upstream connection reads to the exchange currently using
 * it (set as a channel attribute while the connection is acquired). An idle pooled connection that
 * reads anything or stays idle past the idle timeout is closed.
 */
@ChannelHandler.Sharable
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

  static final UpstreamHandler INSTANCE = new UpstreamHandler();

  static final AttributeKey<Listener> LISTENER = AttributeKey.valueOf("vertice.upstream.listener");

  /** What an exchange learns from its upstream connection; called on the connection's event loop. */
  interface Listener {
    void onUpstreamRead(Object msg);

    /** The upstream read batch is over: what was written to the client is flushed. */
    void onUpstreamReadComplete();

    void onUpstreamInactive();

    void onUpstreamWritabilityChanged();

    void onUpstreamError(Throwable cause);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Listener l = ctx.channel().attr(LISTENER).get();
    if (l == null) {
      // An idle connection has nothing to say; the stream is out of step, so it cannot be reused.
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    l.onUpstreamRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    Listener l = ctx.channel().attr(LISTENER).get();
    if (l != null) {
      l.onUpstreamReadComplete();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Listener l = ctx.channel().attr(LISTENER).get();
    if (l != null) {
      l.onUpstreamInactive();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Listener l = ctx.channel().attr(LISTENER).get();
    if (l != null) {
      l.onUpstreamWritabilityChanged();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && ctx.channel().attr(LISTENER).get() == null) {
      ctx.close();
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Listener l = ctx.channel().attr(LISTENER).get();
    ctx.close();
    if (l != null) {
      l.onUpstreamError(cause);
    }
  }
}
