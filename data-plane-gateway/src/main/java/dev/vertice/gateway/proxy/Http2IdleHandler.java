package dev.vertice.gateway.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.logging.Logger;

/**
 * {@code Http2IdleHandler} closes an HTTP/2 connection (GOAWAY, then close) when the idle event of
 * the connection's {@code IdleStateHandler} arrives and no stream is open: the TLS h2 pipeline's
 * answer to the idle timeout, as {@link ProxyHandler} is the HTTP/1 pipelines'. A stream still open
 * is governed by the request timeout (waiting for the upstream) and the response write timeout (a
 * client that stopped reading), so this handler never cuts a request in progress. It sits after the
 * multiplex handler, on the connection's event loop.
 */
final class Http2IdleHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = Logger.getLogger(Http2IdleHandler.class.getName());

  private final Http2ConnectionHandler codec;

  Http2IdleHandler(Http2ConnectionHandler codec) {
    this.codec = codec;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (codec.connection().numActiveStreams() == 0) {
        log.fine(() -> "closing idle HTTP/2 connection from " + ctx.channel().remoteAddress());
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }
}
