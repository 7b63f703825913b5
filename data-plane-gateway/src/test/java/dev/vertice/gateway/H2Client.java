package dev.vertice.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code H2Client} is an HTTP/2 client on Netty's frame codec for tests: h2c by prior knowledge, or
 * TLS with ALPN {@code h2}. It sends header blocks as given, without validating them, so that a
 * test can put bytes in {@code :path} that a well-behaved client never would.
 */
final class H2Client implements AutoCloseable {

  /**
   * One answer on one stream: the response headers, body and trailers (null without), and {@code
   * reset} saying how the stream ended when it did not end normally (null when it did).
   */
  record Response(int status, Http2Headers headers, String body, Http2Headers trailers, String reset) {

    /** The {@code grpc-status} of the trailers (or of a trailers-only response), or null. */
    String grpcStatus() {
      Http2Headers h = trailers != null ? trailers : headers;
      CharSequence v = h == null ? null : h.get("grpc-status");
      return v == null ? null : v.toString();
    }
  }

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel connection;
  private final CompletableFuture<Long> goAway = new CompletableFuture<>();

  private H2Client(int port, SslContext ssl) throws IOException {
    try {
      connection = new Bootstrap().group(group)
          .channel(NioSocketChannel.class)
          .option(io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              if (ssl != null) {
                ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "localhost", port));
              }
              ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                  new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      if (msg instanceof Http2GoAwayFrame g) {
                        goAway.complete(g.errorCode());
                      }
                      ReferenceCountUtil.release(msg);
                    }
                  });
            }
          })
          .connect("127.0.0.1", port).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IOException("cannot connect to 127.0.0.1:" + port, e);
    }
  }

  /** Connects over cleartext HTTP/2 (prior knowledge). */
  static H2Client h2c(int port) throws IOException {
    return new H2Client(port, null);
  }

  /** Connects over TLS, offering only {@code h2} by ALPN and trusting {@code caCert}. */
  static H2Client tls(int port, Path caCert) throws IOException {
    SslContext ssl = SslContextBuilder.forClient().trustManager(caCert.toFile())
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
        .build();
    return new H2Client(port, ssl);
  }

  /** Request headers for {@code method} and a {@code :path} of raw bytes (ISO-8859-1 chars), unvalidated. */
  static Http2Headers request(String method, String scheme, String path) {
    Http2Headers h = new DefaultHttp2Headers(false);
    h.method(method).scheme(scheme).authority("localhost")
        .path(new AsciiString(path.getBytes(StandardCharsets.ISO_8859_1), false));
    return h;
  }

  /** Sends {@code headers} (and {@code body} when not null) on a new stream and waits up to 10 s for the answer. */
  Response send(Http2Headers headers, String body) throws Exception {
    CompletableFuture<Response> answer = new CompletableFuture<>();
    Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
        .handler(new Collector(answer)).open().get(10, TimeUnit.SECONDS);
    if (body == null) {
      stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true));
    } else {
      stream.write(new DefaultHttp2HeadersFrame(headers, false));
      stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), true));
    }
    return answer.get(10, TimeUnit.SECONDS);
  }

  /** Sends a PING on the connection and waits up to 10 s for it to be written. */
  void ping(long data) throws Exception {
    connection.writeAndFlush(new DefaultHttp2PingFrame(data)).get(10, TimeUnit.SECONDS);
  }

  /** Completes with the error code of the first GOAWAY the server sends. */
  CompletableFuture<Long> goAway() {
    return goAway;
  }

  /** Returns whether the connection is still open (the gateway has not closed it). */
  boolean isOpen() {
    return connection.isActive();
  }

  /**
   * Sends {@code headers} on a new stream that never reads what comes back, so that the client never
   * sends a WINDOW_UPDATE for it (nor for the connection): the stream's and the connection's windows
   * fill and stay full. Returns the stream.
   */
  Http2StreamChannel sendNeverReading(Http2Headers headers) throws Exception {
    Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
        .option(io.netty.channel.ChannelOption.AUTO_READ, false)
        .handler(new ChannelInboundHandlerAdapter()).open().get(10, TimeUnit.SECONDS);
    stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, true)).get(10, TimeUnit.SECONDS);
    return stream;
  }

  @Override
  public void close() {
    connection.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }

  /** Gathers one stream's response. */
  private static final class Collector extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Response> answer;
    private Http2Headers headers;
    private Http2Headers trailers;
    private final StringBuilder body = new StringBuilder();

    Collector(CompletableFuture<Response> answer) {
      this.answer = answer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        boolean end = false;
        if (msg instanceof Http2HeadersFrame h) {
          if (headers == null) {
            headers = h.headers();
          } else {
            trailers = h.headers();
          }
          end = h.isEndStream();
        } else if (msg instanceof Http2DataFrame d) {
          ByteBuf content = d.content();
          body.append(content.toString(StandardCharsets.UTF_8));
          end = d.isEndStream();
        } else if (msg instanceof Http2ResetFrame r) {
          answer.complete(new Response(-1, headers, body.toString(), trailers, "RST_STREAM " + r.errorCode()));
          return;
        }
        if (end) {
          answer.complete(new Response(status(), headers, body.toString(), trailers, null));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      answer.complete(new Response(status(), headers, body.toString(), trailers, "stream closed"));
    }

    private int status() {
      return headers == null || headers.status() == null ? -1 : Integer.parseInt(headers.status().toString());
    }
  }
}
