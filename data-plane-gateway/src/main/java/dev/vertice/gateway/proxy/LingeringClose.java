package dev.vertice.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code LingeringClose} closes an HTTP/1 connection the way nginx's lingering close does: once the
 * answer is written, the output is shut (the client reads the answer, then end of stream), and what
 * the client still sends is read and dropped for a while before the socket closes. Closing at once
 * while request bytes are unread, or arrive, makes the kernel send a reset, and a reset can discard
 * the answer before the client reads it: a client trickling a slow head would see "connection
 * reset" instead of its 408.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {

  private final Channel channel;
  private ScheduledFuture<?> deadline;

  private LingeringClose(Channel channel) {
    this.channel = channel;
  }

  /**
   * {@code start} shuts the output of {@code ch} (whose answer is written), drops what it reads from
   * now on, and closes it when the client closes or after {@code lingerNanos}. Channels that cannot
   * shut one direction close at once. Runs on the channel's event loop.
   */
  static void start(Channel ch, long lingerNanos) {
    if (!(ch instanceof DuplexChannel d) || !ch.isActive() || d.isOutputShutdown()
        || ch.pipeline().get(LingeringClose.class) != null) {
      ch.close();
      return;
    }
    LingeringClose l = new LingeringClose(ch);
    ch.pipeline().addFirst("lingering-close", l);
    l.deadline = ch.eventLoop().schedule(() -> {
      ch.close();
    }, lingerNanos, TimeUnit.NANOSECONDS);
    d.shutdownOutput().addListener(f -> {
      if (!f.isSuccess()) {
        ch.close();
      }
    });
    ch.config().setAutoRead(true);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // swallowed: the handlers behind are done with this connection
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    ReferenceCountUtil.release(evt);
    channel.close(); // end of input (half-closure events) or anything else: nothing more to wait for
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    channel.close(); // a reset from the client while lingering: the answer was out already
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (deadline != null) {
      deadline.cancel(false);
    }
    ctx.fireChannelInactive();
  }
}
