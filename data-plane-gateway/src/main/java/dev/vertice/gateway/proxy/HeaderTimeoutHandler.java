package dev.vertice.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@code HeaderTimeoutHandler} closes a connection whose request headers take longer than the
 * header timeout to arrive (slowloris): the clock starts at the first byte of a request and stops
 * when the decoder has the whole head. It answers 408 with a JSON body, then closes
 * (a {@link LingeringClose}, so that the client still trickling bytes reads the answer). It sits
 * before the HTTP codec; the proxy handler, which sees the upgrade events (they travel towards the
 * tail), takes it out when the connection becomes HTTP/2. The clock is a {@link DeadlineTimer}:
 * nothing is scheduled or cancelled per request on a busy keep-alive connection.
 */
final class HeaderTimeoutHandler extends ChannelDuplexHandler {

  private final long timeoutNanos;
  private final long lingerNanos;
  private ChannelHandlerContext ctx;
  private boolean awaiting = true;
  private DeadlineTimer timer;

  HeaderTimeoutHandler(long timeoutNanos, long lingerNanos) {
    this.timeoutNanos = timeoutNanos;
    this.lingerNanos = lingerNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.timer = new DeadlineTimer(ctx.executor(), this::expired);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (awaiting && !timer.armed() && msg instanceof ByteBuf b && b.isReadable()) {
      timer.arm(timeoutNanos);
    }
    ctx.fireChannelRead(msg);
  }

  /** The head of the current request was decoded: stop the clock. */
  void headReceived() {
    awaiting = false;
    timer.disarm();
  }

  /** The exchange is over: the next request's first byte starts the clock again. */
  void awaitingHead() {
    awaiting = true;
  }

  private void cancel() {
    timer.cancel();
  }

  private void expired() {
    if (!awaiting || !ctx.channel().isActive()) {
      return;
    }
    String id = Headers.newRequestId();
    String body = "{\"error\":\"header_timeout\",\"status\":408,\"message\":\"request headers not received within "
        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms\",\"request_id\":\"" + id + "\"}\n";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: " + bytes.length
        + "\r\nx-request-id: " + id + "\r\nconnection: close\r\n\r\n";
    // Written below the codec: the decoder holds a partial head and the encoder expects none.
    ctx.writeAndFlush(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), bytes))
        .addListener((ChannelFutureListener) f -> {
          if (f.isSuccess()) {
            LingeringClose.start(f.channel(), lingerNanos);
          } else {
            f.channel().close();
          }
        });
  }

  /** The connection became HTTP/2: its requests are streams, the clock no longer applies. */
  void upgraded() {
    cancel();
    awaiting = false;
    if (ctx.pipeline().context(this) != null) {
      ctx.pipeline().remove(this);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }
}
