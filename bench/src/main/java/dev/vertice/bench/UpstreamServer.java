package dev.vertice.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code UpstreamServer} is the benchmark's upstream: a minimal Netty HTTP/1.1 server on a free
 * loopback port that answers every request with {@code 200 hello} (keep-alive), and {@code /health}
 * the same way. Small on purpose: the proxies, not the upstream, should be what is measured. It can
 * be slowed (each answer delayed on the event loop's timer, no thread held) and counts requests.
 */
final class UpstreamServer implements AutoCloseable {

  private static final ByteBuf BODY =
      Unpooled.unreleasableBuffer(Unpooled.copiedBuffer("hello, vertice\n", StandardCharsets.US_ASCII));

  private final EventLoopGroup group;
  private final Channel channel;
  private final long delayMillis;
  private final AtomicLong requests = new AtomicLong();

  /** Starts the server with {@code threads} event-loop threads. */
  UpstreamServer(int threads) throws InterruptedException {
    this(threads, 0);
  }

  /** Starts the server with {@code threads} event-loop threads, answering {@code delayMillis} late. */
  UpstreamServer(int threads, long delayMillis) throws InterruptedException {
    this.delayMillis = delayMillis;
    group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(), new HttpObjectAggregator(1 << 20),
                new Handler());
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
  }

  /** Returns the number of requests received. */
  long requests() {
    return requests.get();
  }

  /** Returns the port the server listens on. */
  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      requests.incrementAndGet();
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, BODY.duplicate());
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
      HttpUtil.setContentLength(res, BODY.readableBytes());
      HttpUtil.setKeepAlive(res, HttpUtil.isKeepAlive(req));
      if (delayMillis > 0) {
        ctx.executor().schedule(() -> ctx.writeAndFlush(res), delayMillis, TimeUnit.MILLISECONDS);
      } else {
        ctx.writeAndFlush(res);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
