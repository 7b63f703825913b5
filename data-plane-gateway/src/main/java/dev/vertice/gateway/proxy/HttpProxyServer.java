package dev.vertice.gateway.proxy;

import dev.vertice.common.JsonStrings;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.gateway.admin.AdminRoutes;
import dev.vertice.gateway.balancer.EndpointKey;
import dev.vertice.gateway.routing.RouteResolver;
import dev.vertice.gateway.routing.Router;
import dev.vertice.security.tls.ReloadingTls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * {@code HttpProxyServer} is the gateway's HTTP listener: HTTP/1.1 with keep-alive, and HTTP/2
 * cleartext both by prior knowledge and by {@code Upgrade: h2c}; or, with TLS, HTTPS with HTTP/2
 * or HTTP/1.1 chosen by ALPN. Each HTTP/2 stream is proxied as
 * one request by the same {@link ProxyHandler} (behind a frame-to-HTTP/1 codec); upstream
 * connections are HTTP/1.1 from per-instance pools.
 *
 * <p>Limits: request line ({@code 414}), header block ({@code 431}), body ({@code 413}), slow
 * headers ({@code 408} and close), connections overall and per client address ({@code 503} and
 * close), concurrent HTTP/2 streams (advertised in SETTINGS; excess streams are refused by the
 * codec), idle connections (closed on every pipeline: HTTP/1.1, h2c, TLS HTTP/1.1 and h2), and a
 * client that stops reading a response (closed or its stream reset after the response write
 * timeout, which lets the upstream connection go).
 */
public final class HttpProxyServer implements AutoCloseable {

  private static final Logger log = Logger.getLogger(HttpProxyServer.class.getName());

  private final ProxyContext px;
  private final Channel serverChannel;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final SslContext sslContext;
  /** Open connections per client IP address (entries leave at zero). */
  private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();

  /**
   * {@code HttpProxyServer} binds {@code config.host():config.port()} on {@code group} and starts
   * serving.
   *
   * @throws InterruptedException when interrupted while binding
   * @throws IllegalStateException when the port cannot be bound
   */
  public HttpProxyServer(GatewayConfig config, EventLoopGroup group, Router router, AdminRoutes admin,
      StatsSink stats) throws InterruptedException {
    this(config, group, router, admin, stats, ProxyObserver.NONE);
  }

  /**
   * {@code HttpProxyServer} is {@link #HttpProxyServer(GatewayConfig, EventLoopGroup, Router,
   * AdminRoutes, StatsSink)} reporting requests to {@code observer}.
   *
   * @throws InterruptedException when interrupted while binding
   * @throws IllegalStateException when the port cannot be bound
   */
  public HttpProxyServer(GatewayConfig config, EventLoopGroup group, Router router, AdminRoutes admin,
      StatsSink stats, ProxyObserver observer) throws InterruptedException {
    this(config, group, router, admin, stats, observer, dev.vertice.observability.Tracing.off());
  }

  /**
   * {@code HttpProxyServer} is {@link #HttpProxyServer(GatewayConfig, EventLoopGroup, Router,
   * AdminRoutes, StatsSink, ProxyObserver)} opening a SERVER span per proxied request on {@code
   * tracing} and propagating its W3C trace context upstream.
   *
   * @throws InterruptedException when interrupted while binding
   * @throws IllegalStateException when the port cannot be bound
   */
  public HttpProxyServer(GatewayConfig config, EventLoopGroup group, Router router, AdminRoutes admin,
      StatsSink stats, ProxyObserver observer, dev.vertice.observability.Tracing tracing)
      throws InterruptedException {
    this(config, group, router, admin, stats, observer, tracing, null);
  }

  /**
   * {@code HttpProxyServer} is {@link #HttpProxyServer(GatewayConfig, EventLoopGroup, Router,
   * AdminRoutes, StatsSink, ProxyObserver, dev.vertice.observability.Tracing)} serving HTTPS with
   * {@code tls} when it is not null: ALPN offers {@code h2} and {@code http/1.1}, client
   * certificates are asked for as {@code tls.settings().clientAuth()} says, and certificate files
   * reloaded by {@code tls} are used by new handshakes while open connections keep their session.
   * With {@code tls} null the listener is cleartext (HTTP/1.1 and h2c).
   *
   * @throws InterruptedException when interrupted while binding
   * @throws IllegalStateException when the port cannot be bound or the TLS context cannot be built
   */
  public HttpProxyServer(GatewayConfig config, EventLoopGroup group, Router router, AdminRoutes admin,
      StatsSink stats, ProxyObserver observer, dev.vertice.observability.Tracing tracing, ReloadingTls tls)
      throws InterruptedException {
    this.sslContext = tls == null ? null : ServerTls.sslContext(tls);
    UpstreamPools pools = new UpstreamPools(config.maxConnectionsPerInstance(), config.connectTimeout(),
        config.idleTimeout(), () -> UpstreamHandler.INSTANCE);
    this.px = new ProxyContext(config, router, new RouteResolver(config.rules()), pools, admin, stats,
        java.util.Objects.requireNonNull(observer, "observer"), RequestTracing.of(tracing),
        tls == null ? "http" : "https");
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(Transports.serverChannel(group))
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            initConnection(ch);
          }
        });
    var f = b.bind(config.host(), config.port()).await();
    if (!f.isSuccess()) {
      pools.close();
      throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": "
          + f.cause().getMessage(), f.cause());
    }
    this.serverChannel = f.channel();
  }

  private void initConnection(SocketChannel ch) {
    GatewayConfig c = px.config;
    InetAddress client = ch.remoteAddress() == null ? null : ch.remoteAddress().getAddress();
    int fromClient = client == null ? 0 : perClient.merge(client, 1, Integer::sum);
    ch.closeFuture().addListener(x -> {
      px.connections.decrementAndGet();
      if (client != null) {
        perClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
      }
    });
    boolean overall = px.connections.incrementAndGet() > c.maxConnections();
    if (overall || fromClient > c.maxConnectionsPerClient() || px.draining) {
      if (sslContext != null) {
        // The 503 goes out once the handshake is done (the TLS handler holds writes until then);
        // an h2 client, which expects frames, sees the connection fail instead.
        ch.pipeline().addLast("tls", sslContext.newHandler(ch.alloc()));
      }
      ch.pipeline().addLast(new RefuseHandler(px.draining ? "the gateway is shutting down"
          : overall ? "too many connections (limit " + c.maxConnections() + ")"
          : "too many connections from this address (limit " + c.maxConnectionsPerClient()
              + " per client address, --max-connections-per-client)", c.lingeringClose().toNanos()));
      return;
    }
    connections.add(ch);
    if (sslContext != null) {
      initTlsConnection(ch);
      return;
    }
    HeaderTimeoutHandler headerTimeout = new HeaderTimeoutHandler(c.headerTimeout().toNanos(),
        c.lingeringClose().toNanos());
    HttpServerCodec codec = httpCodec();
    HttpServerUpgradeHandler.UpgradeCodecFactory upgrades = protocol ->
        AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
            ? new Http2ServerUpgradeCodec(http2Codec(), new Http2MultiplexHandler(streamInitializer()))
            : null;
    HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(codec, upgrades, 16384);
    CleartextHttp2ServerUpgradeHandler cleartext = new CleartextHttp2ServerUpgradeHandler(codec, upgrade,
        new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel h2) {
            h2.pipeline().addLast(http2Codec(), new Http2MultiplexHandler(streamInitializer()));
          }
        });
    ch.pipeline().addLast("header-timeout", headerTimeout);
    ch.pipeline().addLast("idle", new ResponseIdleHandler(c.idleTimeout().toNanos()));
    ch.pipeline().addLast("h2c", cleartext);
    ch.pipeline().addLast("proxy", new ProxyHandler(px, false, headerTimeout));
  }

  /**
   * TLS: the handshake picks the protocol by ALPN, then the pipeline becomes the HTTP/1.1 one
   * (header timeout, codec, proxy) or the HTTP/2 one (frame codec, one child channel per stream).
   */
  private void initTlsConnection(SocketChannel ch) {
    GatewayConfig c = px.config;
    ch.pipeline().addLast("tls", sslContext.newHandler(ch.alloc()));
    ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, c.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
    ch.pipeline().addLast("alpn", new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
      @Override
      protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
          Http2FrameCodec h2 = http2Codec();
          ctx.pipeline().addLast("h2", h2);
          ctx.pipeline().addLast("h2-streams", new Http2MultiplexHandler(streamInitializer()));
          ctx.pipeline().addLast("h2-idle", new Http2IdleHandler(h2));
        } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
          HeaderTimeoutHandler headerTimeout = new HeaderTimeoutHandler(c.headerTimeout().toNanos(),
              c.lingeringClose().toNanos());
          ctx.pipeline().addLast("header-timeout", headerTimeout);
          ctx.pipeline().addLast("http", httpCodec());
          ctx.pipeline().addLast("proxy", new ProxyHandler(px, false, headerTimeout));
        } else {
          throw new IllegalStateException("unsupported application protocol: " + protocol);
        }
      }

      @Override
      protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        // A client without a valid certificate, or speaking plaintext to a TLS port: its problem, not ours.
        log.fine(() -> "TLS handshake with " + ctx.channel().remoteAddress() + " failed: " + cause);
        ctx.close();
      }
    });
  }

  private HttpServerCodec httpCodec() {
    GatewayConfig c = px.config;
    return new HttpServerCodec(new HttpDecoderConfig()
        .setMaxInitialLineLength(c.maxInitialLineBytes())
        .setMaxHeaderSize(c.maxHeaderBytes())
        .setMaxChunkSize(16384));
  }

  /** {@code secure} says whether the listener serves HTTPS. */
  public boolean secure() {
    return sslContext != null;
  }

  private Http2FrameCodec http2Codec() {
    return ServerHttp2Codec.builder()
        .initialSettings(Http2Settings.defaultSettings()
            .maxConcurrentStreams(px.config.maxConcurrentStreams())
            .maxHeaderListSize(px.config.maxHeaderBytes()))
        .build();
  }

  private ChannelInitializer<Http2StreamChannel> streamInitializer() {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Http2StreamChannel stream) {
        // The target is checked on the raw :path, before the codec turns it into a request line.
        stream.pipeline().addLast(new Http2TargetCheck(px), new Http2StreamFrameToHttpObjectCodec(true),
            new ProxyHandler(px, true, null));
      }
    };
  }

  /** {@code port} returns the bound port. */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** {@code inFlight} returns the requests being proxied now. */
  public int inFlight() {
    return (int) px.inFlight.sum();
  }

  /** {@code connections} returns the client connections open now. */
  public int connections() {
    return px.connections.get();
  }

  /** {@code requests} returns the requests received since start. */
  public long requests() {
    return px.requests.sum();
  }

  /** {@code retries} returns the retries made since start. */
  public long retries() {
    return px.retries.sum();
  }

  /** {@code removePools} closes the upstream pools (and their idle connections) of {@code gone} instances. */
  public void removePools(Set<EndpointKey> gone) {
    px.pools.remove(gone);
  }

  /** {@code retainPools} closes the upstream pools of instances no longer in {@code live}. */
  public void retainPools(Set<EndpointKey> live) {
    px.pools.retain(live);
  }

  /**
   * {@code drain} stops accepting connections, lets requests in flight finish for up to {@code
   * grace} (responses then carry {@code Connection: close}), and returns whether all finished.
   */
  public boolean drain(Duration grace) throws InterruptedException {
    px.draining = true;
    serverChannel.close().await();
    long deadline = System.nanoTime() + grace.toNanos();
    while (px.inFlight.sum() > 0 && System.nanoTime() - deadline < 0) {
      Thread.sleep(10);
    }
    return px.inFlight.sum() == 0;
  }

  @Override
  public void close() {
    px.draining = true;
    serverChannel.close().awaitUninterruptibly();
    connections.close().awaitUninterruptibly();
    px.pools.close();
    log.fine("HTTP proxy closed");
  }

  /**
   * Answers 503 JSON on a connection over the limit, then closes it lingering ({@link
   * LingeringClose}): the client's request, which may arrive after the answer, must not turn the
   * close into a reset that discards the 503 before the client reads it.
   */
  private static final class RefuseHandler extends ChannelInboundHandlerAdapter {
    private final String why;
    private final long lingerNanos;

    RefuseHandler(String why, long lingerNanos) {
      this.why = why;
      this.lingerNanos = lingerNanos;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      String id = Headers.newRequestId();
      String body = "{\"error\":\"too_many_connections\",\"status\":503,\"message\":" + JsonStrings.quote(why)
          + ",\"request_id\":\"" + id + "\"}\n";
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      String head = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: "
          + bytes.length + "\r\nx-request-id: " + id + "\r\nretry-after: 1\r\nconnection: close\r\n\r\n";
      ctx.writeAndFlush(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), bytes)).addListener(f -> {
        if (f.isSuccess()) {
          LingeringClose.start(ctx.channel(), lingerNanos);
        } else {
          ctx.close();
        }
      });
    }
  }
}
