package dev.vertice.gateway.proxy;

import dev.vertice.gateway.admin.AdminRequest;
import dev.vertice.gateway.admin.AdminResponse;
import dev.vertice.gateway.admin.AdminRoutes;
import dev.vertice.gateway.routing.RouteResolver;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code ProxyHandler} proxies the requests of one client connection (HTTP/1.1) or one stream
 * (HTTP/2, behind a frame-to-HTTP/1 codec), one request at a time (pipelined requests wait).
 * It owns the connection: reading, framing and size checks, pipelining, local answers (errors,
 * admin routes) and closing; each proxied request is an {@link Exchange}.
 *
 * <p>Bodies stream both ways and are never aggregated: the client side stops reading while the
 * upstream connection is not writable (and the other way round), so memory per request is bounded
 * by Netty's write-buffer water marks. Everything runs on the channel's event loop; the upstream
 * connection comes from a pool bound to the same loop.
 */
final class ProxyHandler extends ChannelInboundHandlerAdapter implements ClientSide {

  private static final Logger log = Logger.getLogger(ProxyHandler.class.getName());
  /** A connection's client address as text, kept on the connection for its HTTP/2 streams. */
  private static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.valueOf("vertice.clientAddress");

  private final ProxyContext px;
  private final boolean http2;
  private final HeaderTimeoutHandler headerTimeout;
  private ChannelHandlerContext ctx;
  private final ArrayDeque<HttpObject> pending = new ArrayDeque<>();
  /** The request being proxied; null between requests and while answering locally. */
  private Exchange ex;
  /** A request head was read and its last content not yet. */
  private boolean requestInFlight;
  /** A response is being produced or written. */
  private boolean responseInFlight;
  private boolean closeAfterResponse;
  private boolean closed;
  /** Set while handing over the head of an HTTP/2 request that arrived whole and without a body. */
  private boolean wholeRequestEmpty;
  /** The last write to the client: a graceful close waits for it. */
  private ChannelFuture lastWrite;
  /** The client's IP address as text, once asked for; "" when it has none. */
  private String clientAddress;
  /** The h2c upgrade handler was taken out of the pipeline (or there was none). */
  private boolean upgradeChecked;
  /** Runs out when the client has taken nothing for the response write timeout; null while it reads. */
  private ScheduledFuture<?> writeStall;
  /** The upstream response timer of this connection's exchanges; made with the first one. */
  private DeadlineTimer responseTimer;
  /** The cleartext HTTP/1.1 idle timeout, told of each response's end; null on other pipelines. */
  private ResponseIdleHandler idle;

  ProxyHandler(ProxyContext px, boolean http2, HeaderTimeoutHandler headerTimeout) {
    this.px = px;
    this.http2 = http2;
    this.headerTimeout = headerTimeout;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.idle = http2 ? null : ctx.pipeline().get(ResponseIdleHandler.class);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpObject)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (closed) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof FullHttpRequest full) {
      // HTTP/2 requests without a body arrive whole: handle the head and the (last) content apart.
      DefaultHttpRequest head = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(),
          full.headers());
      head.setDecoderResult(full.decoderResult());
      wholeRequestEmpty = !full.content().isReadable();
      onObject(head);
      wholeRequestEmpty = false;
      onObject(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
      return;
    }
    onObject((HttpObject) msg);
  }

  private void onObject(HttpObject o) {
    if (closed) {
      ReferenceCountUtil.release(o);
      return;
    }
    if (o instanceof HttpRequest req) {
      if (requestInFlight || responseInFlight) {
        pending.add(o); // pipelined: waits for the current exchange
        autoRead(false);
        return;
      }
      startRequest(req);
      return;
    }
    HttpContent content = (HttpContent) o;
    if (!requestInFlight) {
      if (responseInFlight || !pending.isEmpty()) {
        pending.add(content);
      } else {
        content.release(); // stray content with no request: nothing to attach it to
      }
      return;
    }
    boolean last = content instanceof LastHttpContent;
    if (content.decoderResult().isFailure()) {
      // A malformed chunk: the decoder discards the rest of the connection; so do we, after the answer.
      closeAfterResponse = true;
    }
    if (ex != null && ex.acceptsBody) {
      ex.onRequestContent(content);
    } else {
      content.release();
    }
    if (last) {
      requestInFlight = false;
      maybeNext();
    }
  }

  // --- request start ---

  private void startRequest(HttpRequest req) {
    requestInFlight = true;
    responseInFlight = true;
    px.requests.increment();
    if (headerTimeout != null) {
      headerTimeout.headReceived();
    }
    if (!upgradeChecked) {
      dropUpgradeHandler();
    }
    String requestId = Headers.requestId(req.headers());
    if (req.decoderResult().isFailure()) {
      Throwable cause = req.decoderResult().cause();
      closeAfterResponse = true;
      requestInFlight = false;
      if (cause instanceof TooLongHttpHeaderException) {
        answer(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large",
            "request headers exceed " + px.config.maxHeaderBytes() + " bytes", requestId, null);
      } else if (cause instanceof TooLongHttpLineException) {
        answer(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request_line_too_long",
            "request line exceeds " + px.config.maxInitialLineBytes() + " bytes", requestId, null);
      } else if (cause instanceof TooLongFrameException) {
        answer(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", cause.getMessage(),
            requestId, null);
      } else {
        answer(HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed request: " + cause.getMessage(), requestId,
            null);
      }
      return;
    }
    // HTTP/2 frames its own messages; its targets were checked by Http2TargetCheck on the raw :path.
    RequestFraming.Problem framing = http2 ? null : RequestFraming.check(req);
    if (framing != null) {
      // The body's length is in doubt: nothing more on this connection can be trusted.
      closeAfterResponse = true;
      requestInFlight = false;
      answer(framing.status(), framing.code(), framing.message(), requestId, null);
      return;
    }
    // Until the upstream is connected the body waits in the socket (bounded), not in memory. A request
    // without a body leaves reading on: only a pipelined request can follow, and onObject holds that
    // back (stopping reads then); turning reads off and on again costs two epoll_ctl calls per request.
    // (The framing was checked above: Content-Length, when present, is a number.)
    boolean noBody = http2 ? wholeRequestEmpty
        : !HttpUtil.isTransferEncodingChunked(req) && HttpUtil.getContentLength(req, 0L) <= 0;
    if (!noBody) {
      autoRead(false);
    }
    boolean keepAlive = http2 || HttpUtil.isKeepAlive(req);
    if (!keepAlive || px.draining) {
      closeAfterResponse = true;
    }
    String uri = req.uri();
    String host = req.headers().get(HttpHeaderNames.HOST);
    if (!uri.startsWith("/")) {
      // Absolute form (a client talking to us as to a forward proxy): take its path and host.
      try {
        URI u = new URI(uri);
        host = u.getRawAuthority();
        uri = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
            + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
      } catch (Exception e) {
        answer(HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed request target", requestId, null);
        return;
      }
    }
    if (uri.startsWith(AdminRoutes.PREFIX)) {
      admin(req, uri, requestId);
      return;
    }
    RouteResolver.Target target = px.resolver.resolve(host, uri);
    if (target == null) {
      answer(HttpResponseStatus.NOT_FOUND, "unknown_service", "the path names no service: expected /{service}/...",
          requestId, null);
      return;
    }
    long length = HttpUtil.getContentLength(req, -1L);
    if (length > px.config.maxBodyBytes()) {
      closeAfterResponse = true;
      answer(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large",
          "request body of " + length + " bytes exceeds " + px.config.maxBodyBytes(), requestId, target.service());
      return;
    }
    if (!http2 && HttpUtil.is100ContinueExpected(req)) {
      req.headers().remove(HttpHeaderNames.EXPECT);
      ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
          Unpooled.EMPTY_BUFFER));
    }
    boolean chunked = HttpUtil.isTransferEncodingChunked(req);
    boolean bodyless = http2 ? wholeRequestEmpty || length == 0 : length <= 0 && !chunked;
    ex = new Exchange(px, this, ctx, http2, req, requestId, target, host, bodyless);
    px.inFlight.increment();
    ex.nextAttempt();
  }

  /**
   * A plain HTTP/1.1 request reached the proxy: the connection stays HTTP/1.1, so the h2c upgrade
   * handler (an aggregator every message passes through) leaves the pipeline.
   */
  private void dropUpgradeHandler() {
    upgradeChecked = true;
    if (http2) {
      return;
    }
    HttpServerUpgradeHandler upgrade = ctx.pipeline().get(HttpServerUpgradeHandler.class);
    if (upgrade != null) {
      ctx.pipeline().remove(upgrade);
    }
  }

  @Override
  public String clientAddress() {
    String a = clientAddress;
    if (a == null) {
      // An HTTP/2 stream asks its connection, which keeps the text for its other streams.
      Channel conn = http2 && ctx.channel().parent() != null ? ctx.channel().parent() : ctx.channel();
      Attribute<String> kept = conn.attr(CLIENT_ADDRESS);
      a = kept.get();
      if (a == null) {
        a = "";
        if (conn.remoteAddress() instanceof java.net.InetSocketAddress isa) {
          a = isa.getAddress() != null ? isa.getAddress().getHostAddress() : isa.getHostString();
        }
        kept.set(a);
      }
      clientAddress = a;
    }
    return a.isEmpty() ? null : a;
  }

  private void admin(HttpRequest req, String uri, String requestId) {
    QueryStringDecoder q = new QueryStringDecoder(uri);
    AdminRoutes.Match m = px.admin.find(q.path());
    if (m == null) {
      answer(HttpResponseStatus.NOT_FOUND, "not_found", "no gateway endpoint at " + q.path(), requestId, null);
      return;
    }
    Map<String, String> headers = new HashMap<>();
    for (Map.Entry<String, String> e : req.headers()) {
      headers.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
    }
    CompletionStage<AdminResponse> stage;
    try {
      stage = m.route().handle(new AdminRequest(req.method().name(), q.path(), m.remainder(), q.parameters(),
          headers, requestId));
    } catch (RuntimeException e) {
      log.log(Level.WARNING, "admin route " + q.path() + " failed", e);
      answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", "admin route failed (see the gateway log)",
          requestId, null);
      return;
    }
    autoRead(true); // the request body, if any, is read and dropped
    stage.whenComplete((resp, err) -> ctx.executor().execute(() -> {
      if (closed) {
        return;
      }
      if (err != null || resp == null) {
        // The exception goes to the log, never into a response.
        log.log(Level.WARNING, "admin route " + q.path() + " failed", err);
        answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal", "admin route failed (see the gateway log)",
            requestId, null);
        return;
      }
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(resp.status()),
          Unpooled.wrappedBuffer(resp.body()));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, resp.contentType())
          .setInt(HttpHeaderNames.CONTENT_LENGTH, resp.body().length)
          .set(Headers.X_REQUEST_ID, requestId);
      resp.headers().forEach(r.headers()::set);
      writeLocal(r);
    }));
  }

  /** Answers locally (errors, admin): the request body, if still coming, is read and dropped. */
  @Override
  public void answer(HttpResponseStatus status, String code, String message, String requestId, String service) {
    writeLocal(Errors.response(status, code, message, requestId, service));
  }

  private void writeLocal(FullHttpResponse r) {
    if (closeAfterResponse && !http2) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    if (requestInFlight && !closeAfterResponse) {
      autoRead(true);
    }
    track(ctx.writeAndFlush(r)).addListener((ChannelFutureListener) f -> {
      responseInFlight = false;
      if (!f.isSuccess()) {
        closeNow();
        return;
      }
      maybeNext();
    });
  }

  /** After a response: close, or go on with pipelined requests, or read the next request. */
  private void maybeNext() {
    if (requestInFlight || responseInFlight || closed) {
      return;
    }
    if (idle != null) {
      idle.resetWriteTimeout(); // the response was written: the idle time counts from now
    }
    if (closeAfterResponse) {
      close();
      return;
    }
    if (headerTimeout != null) {
      headerTimeout.awaitingHead();
    }
    // A held-back request head waits for the exchange before it to end; the held-back content of the
    // request just started goes to it at once (waiting for the request to end, it waited forever: a
    // pipelined request after the first one hung, its body or last content never forwarded).
    while (!pending.isEmpty() && !closed) {
      boolean ready = pending.peek() instanceof HttpRequest ? !requestInFlight && !responseInFlight
          : requestInFlight || !responseInFlight;
      if (!ready) {
        break;
      }
      onObject(pending.poll());
    }
    if (!responseInFlight && !closed) {
      autoRead(true);
    } else if (requestInFlight && ex == null) {
      autoRead(true);
    }
  }

  @Override
  public void autoRead(boolean on) {
    if (!closed) {
      ctx.channel().config().setAutoRead(on);
    }
  }

  /**
   * Closes once what was written is flushed (a client that stops reading is cut after the idle
   * timeout); HTTP/1 connections close lingering, so that a client still sending reads the answer.
   */
  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    ChannelFuture w = lastWrite;
    if (w == null || w.isDone()) {
      closeFlushed(w == null || w.isSuccess());
      return;
    }
    ScheduledFuture<?> force = ctx.executor().schedule(() -> {
      ctx.close();
    }, px.config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
    w.addListener(f -> {
      force.cancel(false);
      closeFlushed(f.isSuccess());
    });
  }

  private void closeFlushed(boolean written) {
    if (written && !http2) {
      LingeringClose.start(ctx.channel(), px.config.lingeringClose().toNanos());
    } else {
      ctx.close();
    }
  }

  /** Closes at once: the exchange broke, what is still queued does not matter. */
  @Override
  public void closeNow() {
    closed = true;
    ctx.close();
  }

  @Override
  public ChannelFuture track(ChannelFuture f) {
    lastWrite = f;
    return f;
  }

  @Override
  public DeadlineTimer responseTimer() {
    DeadlineTimer t = responseTimer;
    if (t == null) {
      t = new DeadlineTimer(ctx.executor(), this::responseTimedOut);
      responseTimer = t;
    }
    return t;
  }

  private void responseTimedOut() {
    if (ex != null) {
      ex.onTimeout();
    }
  }

  @Override
  public void closeAfterResponse() {
    closeAfterResponse = true;
  }

  @Override
  public boolean closesAfterResponse() {
    return closeAfterResponse;
  }

  @Override
  public void exchangeEnded() {
    ex = null;
  }

  @Override
  public void responseComplete(boolean bodyPending) {
    responseInFlight = false;
    if (bodyPending) {
      autoRead(true);
    }
    maybeNext();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      cancelWriteStall();
      if (ex != null) {
        ex.onClientWritable();
      }
    } else if (writeStall == null && !closed) {
      // The client stopped taking the response (its socket, or on HTTP/2 its stream's window, is
      // full): the upstream is paused meanwhile, and let go if it stays so.
      writeStall = ctx.executor().schedule(this::writeStalled, px.config.responseWriteTimeout().toNanos(),
          TimeUnit.NANOSECONDS);
    }
    ctx.fireChannelWritabilityChanged();
  }

  private void writeStalled() {
    writeStall = null;
    if (closed || ctx.channel().isWritable()) {
      return;
    }
    log.fine(() -> "client " + (http2 ? "stream" : "connection") + " took nothing of its response for "
        + px.config.responseWriteTimeout().toMillis() + " ms: " + (http2 ? "resetting it" : "closing it"));
    // Closing an HTTP/2 stream channel resets the stream; channelInactive then aborts the exchange,
    // which lets the upstream connection go.
    closeNow();
  }

  private void cancelWriteStall() {
    if (writeStall != null) {
      writeStall.cancel(false);
      writeStall = null;
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (headerTimeout != null && (evt instanceof io.netty.handler.codec.http.HttpServerUpgradeHandler.UpgradeEvent
        || evt instanceof io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent)) {
      headerTimeout.upgraded();
      if (idle != null) {
        // HTTP/2 now: writes on the streams count as activity again, one by one.
        if (ctx.pipeline().context(idle) != null) {
          ctx.pipeline().replace(idle, "idle", idle.tracking());
        }
        idle = null;
      }
      // The upgraded request is served as stream 1 by the HTTP/2 handlers, not here.
      requestInFlight = false;
      responseInFlight = false;
    }
    if (evt instanceof IdleStateEvent) {
      // Idle between requests, or stalled in a request body that was already answered (slowloris on the
      // body): either way nobody waits for this connection.
      if (!responseInFlight) {
        closeNow();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    cancelWriteStall();
    if (ex != null) {
      ex.abort();
    }
    if (responseTimer != null) {
      responseTimer.cancel();
    }
    while (!pending.isEmpty()) {
      ReferenceCountUtil.release(pending.poll());
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.log(Level.FINE, "client connection failed", cause);
    closeNow();
  }

}
