// Longer than 600 lines: the pipeline, its limits (sizes, timeouts, connection cap) and the
// streamed responses share the connection state; split, they would pass it around as mutable fields.
package dev.vertice.observability.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * {@code SmallHttpServer} is the HTTP/1.1 server of Vertice's small endpoints (admin ports, the
 * demo services, the sidecar's local API), on Netty: keep-alive, {@code TCP_NODELAY}, each answer
 * written in one flush, optionally HTTPS.
 *
 * <p>It is hardened for ports that a liveness probe depends on: event-loop threads never wait on
 * a client (a connection that sends half a request holds no thread), a request must be complete
 * within {@link SmallHttpServerConfig#requestTimeout()} of its first byte (408, then close), bodies
 * are bounded (413), as are the request line (414) and headers (431), connections beyond {@link
 * SmallHttpServerConfig#maxConnections()} get 503 and are closed, and idle connections are closed
 * after {@link SmallHttpServerConfig#idleTimeout()}. Each of those answers has a JSON body {@code
 * {"error":...,"message":...}}.
 *
 * <p>A handler may answer with a streaming response ({@link Response#stream}, for server-sent
 * events): its body is sent in chunks as the handler produces them, with a bound on what may wait
 * to be written, and the connection ends with the stream.
 *
 * <p>Requests go to one {@link HttpHandler} (see there for threading). Start with {@link
 * #builder}; {@link Builder#bind()} binds the port without accepting connections (they wait in the
 * backlog) until {@link #start()}, so that a caller can finish setting up its handler first.
 * Thread-safe.
 */
public final class SmallHttpServer implements AutoCloseable {

  private static final Object OVERSIZED = new Object();
  private static final byte[] NO_BODY = new byte[0];
  private static final Response INTERNAL_ERROR = Response.json(500, "{\"error\":\"internal error\"}");

  private final SmallHttpServerConfig config;
  private final HttpHandler handler;
  private final Supplier<SSLEngine> tls;
  private final HttpEventLoops loops;
  private final boolean ownsLoops;
  private final AtomicInteger open = new AtomicInteger();
  private final ChannelGroup connections;
  private final Channel serverChannel;

  private SmallHttpServer(Builder b) throws IOException {
    this.config = b.config;
    this.handler = b.handler;
    this.tls = b.tls;
    this.ownsLoops = b.loops == null;
    this.loops = ownsLoops ? HttpEventLoops.create(config.name(), config.eventLoopThreads()) : b.loops;
    this.connections = new DefaultChannelGroup(config.name(), loops.group().next());
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(loops.group())
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 128)
        // Bound but not accepting until start(): connections wait in the backlog meanwhile.
        .option(ChannelOption.AUTO_READ, false)
        // The JDK server lacked this: a response written in two segments then waits for the
        // client's delayed ACK (40 ms) under Nagle's algorithm.
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            initConnection(ch);
          }
        });
    ChannelFuture f = bootstrap.bind(new InetSocketAddress(b.host, b.port)).awaitUninterruptibly();
    if (!f.isSuccess()) {
      if (ownsLoops) {
        loops.close();
      }
      throw new IOException("cannot listen on " + b.host + ":" + b.port + ": " + f.cause().getMessage(), f.cause());
    }
    this.serverChannel = f.channel();
  }

  /**
   * {@code builder} starts a server on {@code host:port} (port 0 for a free one) answering with
   * {@code handler}.
   */
  public static Builder builder(String host, int port, HttpHandler handler) {
    return new Builder(host, port, handler);
  }

  /** {@code start} starts accepting connections. */
  public SmallHttpServer start() {
    serverChannel.config().setAutoRead(true);
    return this;
  }

  /** {@code port} returns the bound port. */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** {@code openConnections} returns the number of connections open now (refused ones included until closed). */
  public int openConnections() {
    return open.get();
  }

  /** {@code config} returns the limits the server runs with. */
  public SmallHttpServerConfig config() {
    return config;
  }

  /**
   * {@code close} stops listening (the port is free when it returns) and closes every connection;
   * requests in flight are abandoned. Event loops of its own are stopped, shared ones are not.
   */
  @Override
  public void close() {
    serverChannel.close().awaitUninterruptibly();
    connections.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    if (ownsLoops) {
      loops.close();
    }
  }

  private void initConnection(SocketChannel ch) {
    ch.closeFuture().addListener(f -> open.decrementAndGet());
    ChannelPipeline p = ch.pipeline();
    long timeoutMillis = config.requestTimeout().toMillis();
    if (tls != null) {
      SslHandler ssl = new SslHandler(tls.get());
      ssl.setHandshakeTimeoutMillis(timeoutMillis);
      p.addLast("tls", ssl);
    }
    if (open.incrementAndGet() > config.maxConnections()) {
      // With TLS the answer goes out once the handshake is done (the TLS handler holds it until then).
      p.addLast("refuse", new Refuse());
      return;
    }
    connections.add(ch);
    Exchange exchange = new Exchange();
    p.addLast("idle", new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
    p.addLast("decoder", new TimedRequestDecoder(new HttpDecoderConfig()
        .setMaxInitialLineLength(config.maxInitialLineBytes())
        .setMaxHeaderSize(config.maxHeaderBytes()), exchange, timeoutMillis));
    p.addLast("encoder", new HttpResponseEncoder());
    p.addLast("aggregator", new Aggregator(config.maxBodyBytes()));
    p.addLast("exchange", exchange);
  }

  private static byte[] error(String error, String message) {
    return ("{\"error\":\"" + error + "\",\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  /** An answer written below the HTTP codec, as raw bytes, followed by closing the connection. */
  private static void rawAnswerAndClose(ChannelHandlerContext ctx, int status, String reason, byte[] body) {
    String head = "HTTP/1.1 " + status + " " + reason + "\r\ncontent-type: application/json\r\ncontent-length: "
        + body.length + "\r\nconnection: close\r\n\r\n";
    ctx.writeAndFlush(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body))
        .addListener(ChannelFutureListener.CLOSE);
  }

  /** Answers a connection beyond the cap with 503 and closes it, without reading a request. */
  private final class Refuse extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      rawAnswerAndClose(ctx, 503, "Service Unavailable", error("too many connections",
          "this server accepts at most " + config.maxConnections() + " connections"));
      // A client that never completes the TLS handshake, or never reads, does not keep the slot.
      ctx.executor().schedule(() -> ctx.close(), config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /**
   * The request decoder with the request timeout: the clock starts at the first byte received
   * after the previous request was complete and stops when this one is (its last content decoded).
   * Bytes count rather than decoder states, so a partial head held inside the decoder counts too.
   */
  private static final class TimedRequestDecoder extends HttpRequestDecoder {
    private final Exchange exchange;
    private final long timeoutMillis;
    private long received;
    private long consumed;
    private long completedAt;
    private boolean completed;
    private ScheduledFuture<?> timer;

    TimedRequestDecoder(HttpDecoderConfig config, Exchange exchange, long timeoutMillis) {
      super(config);
      this.exchange = exchange;
      this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (msg instanceof ByteBuf b) {
        received += b.readableBytes();
      }
      completed = false;
      super.channelRead(ctx, msg);
      if (completed) {
        cancel();
      }
      if (received > completedAt && timer == null && ctx.channel().isActive()) {
        timer = ctx.executor().schedule(() -> expired(ctx), timeoutMillis, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
      int before = buffer.readerIndex();
      int emitted = out.size();
      super.decode(ctx, buffer, out);
      consumed += buffer.readerIndex() - before;
      for (int i = emitted; i < out.size(); i++) {
        if (out.get(i) instanceof LastHttpContent) {
          // The decoder returns after each message's end: nothing of the next one is consumed yet.
          completedAt = consumed;
          completed = true;
        }
      }
    }

    private void expired(ChannelHandlerContext ctx) {
      timer = null;
      if (received <= completedAt || !ctx.channel().isActive()) {
        return;
      }
      if (exchange.busy) {
        // An answer is being made for the previous request: a 408 now could cut into it.
        ctx.close();
        return;
      }
      rawAnswerAndClose(ctx, 408, "Request Timeout", error("request timeout",
          "request not received within " + timeoutMillis + " ms"));
    }

    private void cancel() {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      cancel();
      super.channelInactive(ctx);
    }
  }

  /** The aggregator, handing a too-large request on as a marker so that it is answered in turn. */
  private static final class Aggregator extends HttpObjectAggregator {
    Aggregator(int maxBodyBytes) {
      super(maxBodyBytes);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      ctx.fireChannelRead(OVERSIZED);
    }
  }

  /**
   * One connection's requests, answered one at a time in the order they came (HTTP/1.1
   * pipelining); reading pauses while many wait.
   */
  private final class Exchange extends ChannelInboundHandlerAdapter {
    private static final int MAX_WAITING = 16;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    /** A request is being answered (touched on the event loop only). */
    boolean busy;
    private boolean closing;
    private boolean dispatching;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (closing || !(msg instanceof FullHttpRequest || msg == OVERSIZED)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      waiting.add(msg);
      if (waiting.size() >= MAX_WAITING) {
        ctx.channel().config().setAutoRead(false);
      }
      dispatch();
    }

    private void dispatch() {
      if (dispatching) {
        return;
      }
      dispatching = true;
      try {
        while (!busy && !closing) {
          Object next = waiting.poll();
          if (next == null) {
            break;
          }
          busy = true;
          serve(next);
        }
        if (waiting.size() < MAX_WAITING && !closing && !ctx.channel().config().isAutoRead()) {
          ctx.channel().config().setAutoRead(true);
        }
      } finally {
        dispatching = false;
      }
    }

    private void serve(Object next) {
      if (next == OVERSIZED) {
        answer(Response.of(413, Response.JSON, error("body too large",
            "request body larger than " + config.maxBodyBytes() + " bytes")), false, false);
        return;
      }
      FullHttpRequest req = (FullHttpRequest) next;
      try {
        DecoderResult result = req.decoderResult();
        if (result.isFailure()) {
          answer(badRequest(result.cause()), false, false);
          return;
        }
        String path;
        try {
          path = path(req.uri());
        } catch (URISyntaxException e) {
          answer(Response.of(400, Response.JSON, error("bad request", "the request target is not a valid URI")),
              false, false);
          return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        boolean head = HttpMethod.HEAD.equals(req.method());
        ByteBuf content = req.content();
        byte[] body = content.isReadable() ? ByteBufUtil.getBytes(content) : NO_BODY;
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        Request request = new Request(req.method().name(), req.uri(), path, new HeaderView(req.headers()), body,
            (InetSocketAddress) ctx.channel().remoteAddress(), ctx.executor(),
            ssl == null ? null : ssl.engine().getSession());
        CompletionStage<Response> stage;
        try {
          stage = Objects.requireNonNull(handler.handle(request), "handler returned null");
        } catch (RuntimeException | Error e) {
          answer(INTERNAL_ERROR, keepAlive, head);
          return;
        }
        stage.whenComplete((response, failure) -> {
          Response r = failure != null || response == null ? INTERNAL_ERROR : response;
          if (ctx.executor().inEventLoop()) {
            answer(r, keepAlive, head);
          } else {
            ctx.executor().execute(() -> answer(r, keepAlive, head));
          }
        });
      } finally {
        req.release();
      }
    }

    private Response badRequest(Throwable cause) {
      if (cause instanceof TooLongHttpLineException) {
        return Response.of(414, Response.JSON, error("request line too long",
            "request line longer than " + config.maxInitialLineBytes() + " bytes"));
      }
      if (cause instanceof TooLongHttpHeaderException) {
        return Response.of(431, Response.JSON, error("headers too large",
            "header block larger than " + config.maxHeaderBytes() + " bytes"));
      }
      if (cause instanceof TooLongFrameException) {
        return Response.of(400, Response.JSON, error("bad request", "a request element is too long"));
      }
      return Response.of(400, Response.JSON, error("bad request", "the request is not valid HTTP/1.1"));
    }

    private void answer(Response r, boolean keepAlive, boolean head) {
      if (closing || !ctx.channel().isActive()) {
        busy = false;
        return;
      }
      if (r.isStream() && !head) {
        openStream(r);
        return;
      }
      byte[] body = r.body();
      DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.valueOf(r.status()), head || body.length == 0 ? Unpooled.EMPTY_BUFFER
          : Unpooled.wrappedBuffer(body));
      HttpHeaders h = res.headers();
      h.set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
      h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      for (Map.Entry<String, String> e : r.headers()) {
        h.add(e.getKey(), e.getValue());
      }
      if (!keepAlive) {
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      ChannelFuture written = ctx.writeAndFlush(res);
      busy = false;
      if (keepAlive) {
        written.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        dispatch();
      } else {
        closing = true;
        releaseWaiting();
        written.addListener(ChannelFutureListener.CLOSE);
      }
    }

    /**
     * Sends the head of a streaming response and hands its stream over. The connection stays busy
     * (no idle timeout, no further request) until the stream closes it.
     */
    private void openStream(Response r) {
      DefaultHttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()));
      HttpHeaders h = res.headers();
      h.set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
      for (Map.Entry<String, String> e : r.headers()) {
        h.add(e.getKey(), e.getValue());
      }
      HttpUtil.setTransferEncodingChunked(res, true);
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      closing = true;
      releaseWaiting();
      ChunkedResponseStream stream = new ChunkedResponseStream(ctx.channel(), r.maxBufferedBytes());
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      try {
        r.streamOpened().accept(stream);
      } catch (RuntimeException e) {
        stream.close();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent && !busy) {
        ctx.close();
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closing = true;
      releaseWaiting();
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A reset, a failed TLS handshake: nothing to answer, and nothing worth a log line per client.
      ctx.close();
    }

    private void releaseWaiting() {
      Object m;
      while ((m = waiting.poll()) != null) {
        ReferenceCountUtil.release(m);
      }
    }
  }

  /** A request's headers, read without copying. */
  private static final class HeaderView extends java.util.AbstractMap<String, String> {
    private final HttpHeaders headers;

    HeaderView(HttpHeaders headers) {
      this.headers = headers;
    }

    @Override
    public String get(Object name) {
      return name instanceof String s ? headers.get(s) : null;
    }

    @Override
    public java.util.Set<Map.Entry<String, String>> entrySet() {
      java.util.Set<Map.Entry<String, String>> s = new java.util.LinkedHashSet<>();
      headers.forEach(s::add);
      return s;
    }
  }

  /** The decoded path of a request target (origin or absolute form), without the query. */
  static String path(String uri) throws URISyntaxException {
    if (uri.isEmpty()) {
      throw new URISyntaxException(uri, "empty");
    }
    String p = new URI(uri).getPath();
    return p == null || p.isEmpty() ? "/" : p;
  }

  /**
   * {@code Builder} binds a {@link SmallHttpServer}: the limits ({@link SmallHttpServerConfig},
   * defaults unless set), TLS (none unless set) and the event loops (its own unless shared ones
   * are given).
   */
  public static final class Builder {
    private final String host;
    private final int port;
    private final HttpHandler handler;
    private SmallHttpServerConfig config = SmallHttpServerConfig.ofDefaults();
    private Supplier<SSLEngine> tls;
    private HttpEventLoops loops;

    private Builder(String host, int port, HttpHandler handler) {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank: '" + host + "'");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in 0..65535: " + port);
      }
      this.host = host;
      this.port = port;
      this.handler = Objects.requireNonNull(handler, "handler");
    }

    /** {@code config} sets the limits (default {@link SmallHttpServerConfig#ofDefaults()}). */
    public Builder config(SmallHttpServerConfig v) {
      config = Objects.requireNonNull(v, "config");
      return this;
    }

    /**
     * {@code tls} serves HTTPS with server-mode engines of {@code context} as its defaults configure
     * them (a reloading context gives new connections its current certificate); null for plain HTTP.
     */
    public Builder tls(SSLContext context) {
      tls = context == null ? null : () -> {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        return engine;
      };
      return this;
    }

    /**
     * {@code tlsEngines} serves HTTPS with an engine from {@code engines} per connection (for
     * example one that asks for client certificates); null for plain HTTP.
     */
    public Builder tlsEngines(Supplier<SSLEngine> engines) {
      tls = engines;
      return this;
    }

    /** {@code eventLoops} runs the server on shared event loops, which it will not close. */
    public Builder eventLoops(HttpEventLoops v) {
      loops = Objects.requireNonNull(v, "eventLoops");
      return this;
    }

    /**
     * {@code bind} binds the port; connections wait in the backlog until {@link SmallHttpServer#start()}.
     *
     * @throws IOException when the address cannot be bound
     */
    public SmallHttpServer bind() throws IOException {
      return new SmallHttpServer(this);
    }
  }
}
