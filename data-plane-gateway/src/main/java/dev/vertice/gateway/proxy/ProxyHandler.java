package dev.vertice.gateway.proxy;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.gateway.admin.AdminRequest;
import dev.vertice.gateway.admin.AdminResponse;
import dev.vertice.gateway.admin.AdminRoutes;
import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.balancer.EndpointKey;
import dev.vertice.gateway.resilience.InstanceGuard;
import dev.vertice.gateway.resilience.ServiceGuard;
import dev.vertice.gateway.routing.RouteResolver;
import dev.vertice.gateway.routing.Router;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code ProxyHandler} proxies the requests of one client connection (HTTP/1.1) or one stream
 * (HTTP/2, behind a frame-to-HTTP/1 codec), one request at a time (pipelined requests wait).
 *
 * <p>Bodies stream both ways and are never aggregated: the client side stops reading while the
 * upstream connection is not writable (and the other way round), so memory per request is bounded
 * by Netty's write-buffer water marks. Everything runs on the channel's event loop; the upstream
 * connection comes from a pool bound to the same loop.
 *
 * <p>Retries: an attempt that failed to connect is retried on another instance (nothing reached an
 * upstream); an attempt that reached an upstream (5xx, timeout, connection lost before the
 * response) is retried only for an idempotent method without a body. Every retry is paid from the
 * service's retry budget; attempts per request are capped.
 */
final class ProxyHandler extends ChannelInboundHandlerAdapter {

  private static final Logger log = Logger.getLogger(ProxyHandler.class.getName());

  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

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

  ProxyHandler(ProxyContext px, boolean http2, HeaderTimeoutHandler headerTimeout) {
    this.px = px;
    this.http2 = http2;
    this.headerTimeout = headerTimeout;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
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
    px.requests.incrementAndGet();
    if (headerTimeout != null) {
      headerTimeout.headReceived();
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
    RequestFraming.Problem framing = http2 ? null : RequestFraming.check(req);
    if (framing != null) {
      // The body's length is in doubt: nothing more on this connection can be trusted.
      closeAfterResponse = true;
      requestInFlight = false;
      answer(framing.status(), framing.code(), framing.message(), requestId, null);
      return;
    }
    // Until the upstream is connected the body waits in the socket (bounded), not in memory.
    autoRead(false);
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
    ex = new Exchange(req, requestId, target, host, bodyless);
    px.inFlight.incrementAndGet();
    ex.nextAttempt();
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
  private void answer(HttpResponseStatus status, String code, String message, String requestId, String service) {
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
    if (closeAfterResponse) {
      close();
      return;
    }
    if (headerTimeout != null) {
      headerTimeout.awaitingHead();
    }
    while (!pending.isEmpty() && !requestInFlight && !responseInFlight && !closed) {
      onObject(pending.poll());
    }
    if (!responseInFlight && !closed) {
      autoRead(true);
    } else if (requestInFlight && ex == null) {
      autoRead(true);
    }
  }

  private void autoRead(boolean on) {
    if (!closed) {
      ctx.channel().config().setAutoRead(on);
    }
  }

  /** Closes once what was written is flushed (a client that stops reading is cut after the idle timeout). */
  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    ChannelFuture w = lastWrite;
    if (w == null || w.isDone()) {
      ctx.close();
      return;
    }
    ScheduledFuture<?> force = ctx.executor().schedule(() -> {
      ctx.close();
    }, px.config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
    w.addListener(f -> {
      force.cancel(false);
      ctx.close();
    });
  }

  /** Closes at once: the exchange broke, what is still queued does not matter. */
  private void closeNow() {
    closed = true;
    ctx.close();
  }

  private ChannelFuture track(ChannelFuture f) {
    lastWrite = f;
    return f;
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ex != null && ex.attempt != null && ex.attempt.upstream != null && ctx.channel().isWritable()) {
      ex.attempt.upstream.config().setAutoRead(true);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (headerTimeout != null && (evt instanceof io.netty.handler.codec.http.HttpServerUpgradeHandler.UpgradeEvent
        || evt instanceof io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent)) {
      headerTimeout.upgraded();
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
    if (ex != null) {
      ex.abort();
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

  /** One proxied request: its attempts, its body, its response. */
  private final class Exchange implements UpstreamHandler.Listener {
    final HttpRequest head;
    final String requestId;
    final RouteResolver.Target target;
    final String originalHost;
    final boolean retryableAfterSend;
    final boolean bodyless;
    final long startNanos = System.nanoTime();
    final Duration timeout;
    final ServiceGuard serviceGuard;
    final ArrayDeque<HttpContent> queued = new ArrayDeque<>();
    final Set<EndpointKey> tried = new HashSet<>(4);
    boolean acceptsBody = true;
    boolean requestDone;
    boolean bodySent;
    long bodyBytes;
    int attempts;
    Attempt attempt;
    boolean responseStarted;
    boolean finished;
    /** The request's SERVER span, null when tracing is off. */
    final io.opentelemetry.api.trace.Span span;

    Exchange(HttpRequest head, String requestId, RouteResolver.Target target, String host, boolean bodyless) {
      this.head = head;
      this.requestId = requestId;
      this.target = target;
      this.originalHost = host;
      this.bodyless = bodyless;
      this.retryableAfterSend = bodyless && IDEMPOTENT.contains(head.method());
      this.timeout = target.timeout() != null ? target.timeout() : px.config.requestTimeout();
      this.serviceGuard = px.router.state().serviceGuard(target.service());
      this.span = px.tracing.start(head, target.service(), target.path());
    }

    /** Picks an instance and connects to it, or answers 404/503. */
    void nextAttempt() {
      Router.Decision d = px.router.route(target.service(), Protocol.PROTOCOL_HTTP,
          e -> !tried.contains(e.key()) && Router.GUARDED.admit(e));
      if (d.outcome() == Router.Outcome.NO_HEALTHY_INSTANCE && !tried.isEmpty()) {
        // Every other instance is out: the ones already tried may take the retry.
        d = px.router.route(target.service(), Protocol.PROTOCOL_HTTP, Router.GUARDED);
      }
      if (d.outcome() == Router.Outcome.UNKNOWN_SERVICE) {
        fail(HttpResponseStatus.NOT_FOUND, "unknown_service", "no service named '" + target.service() + "'");
        return;
      }
      if (d.outcome() == Router.Outcome.NO_HEALTHY_INSTANCE) {
        fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "no_healthy_instance",
            "service '" + target.service() + "' has no instance able to take the request");
        return;
      }
      Endpoint e = d.endpoint();
      if (!serviceGuard.breaker().tryAcquirePermission()) {
        Router.guard(e).release();
        fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "circuit_open",
            "the circuit breaker of service '" + target.service() + "' is open");
        return;
      }
      if (attempts == 0) {
        serviceGuard.retryBudget().onRequest();
      }
      attempts++;
      tried.add(e.key());
      Attempt a = new Attempt(e);
      attempt = a;
      e.begin();
      Future<Channel> f = px.pools.acquire(ctx.channel().eventLoop(), e.key());
      if (f.isDone()) {
        onAcquired(a, f);
      } else {
        f.addListener(x -> onAcquired(a, f));
      }
    }

    void onAcquired(Attempt a, Future<Channel> f) {
      if (a != attempt || finished) {
        if (f.isSuccess()) {
          UpstreamPools.release(f.getNow());
        }
        return;
      }
      if (!f.isSuccess()) {
        attemptFailed(a, f.cause(), false, false, "connection to " + a.endpoint.key().hostPort() + " failed: "
            + f.cause().getMessage());
        return;
      }
      Channel up = f.getNow();
      a.upstream = up;
      up.attr(UpstreamHandler.LISTENER).set(this);
      up.config().setAutoRead(true);
      up.write(upstreamRequest(a.endpoint)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      a.sent = true;
      if (requestDone && queued.isEmpty()) {
        // A retry of a bodyless request: its (empty) last content went to the previous attempt.
        up.write(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      }
      while (!queued.isEmpty()) {
        HttpContent c = queued.poll();
        bodySent |= c.content().isReadable();
        up.write(c).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      }
      up.flush();
      a.timer = ctx.executor().schedule(() -> onTimeout(a), timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (!requestDone) {
        autoRead(up.isWritable());
      }
    }

    void onRequestContent(HttpContent c) {
      if (c.decoderResult().isFailure()) {
        // Never forwarded as the end of the body: the upstream must not take a broken body for a whole one.
        c.release();
        requestDone = true;
        acceptsBody = false;
        closeAfterResponse = true;
        if (responseStarted) {
          closeNow();
          return;
        }
        abandonAttempt();
        fail(HttpResponseStatus.BAD_REQUEST, "bad_request", "malformed request body (chunked encoding)");
        return;
      }
      bodyBytes += c.content().readableBytes();
      if (bodyBytes > px.config.maxBodyBytes()) {
        c.release();
        acceptsBody = false;
        closeAfterResponse = true;
        if (responseStarted) {
          closeNow();
          return;
        }
        abandonAttempt();
        fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large",
            "request body exceeds " + px.config.maxBodyBytes() + " bytes");
        return;
      }
      boolean last = c instanceof LastHttpContent;
      if (last) {
        requestDone = true;
      }
      Attempt a = attempt;
      if (a != null && a.upstream != null) {
        bodySent |= c.content().isReadable();
        a.upstream.writeAndFlush(c).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        if (last) {
          autoRead(false); // the next pipelined request waits for this response
        } else if (!a.upstream.isWritable()) {
          autoRead(false);
        }
      } else {
        queued.add(c);
      }
    }

    /** The HTTP/1.1 request head sent upstream. */
    private HttpRequest upstreamRequest(Endpoint e) {
      HttpHeaders h = head.headers().copy();
      Headers.stripHopByHop(h);
      h.remove(HttpHeaderNames.EXPECT);
      h.set(HttpHeaderNames.HOST, e.key().hostPort());
      if (originalHost != null) {
        h.set(Headers.X_FORWARDED_HOST, originalHost);
      }
      SocketAddress remote = ctx.channel() instanceof io.netty.handler.codec.http2.Http2StreamChannel
          ? ctx.channel().parent().remoteAddress() : ctx.channel().remoteAddress();
      if (remote instanceof InetSocketAddress isa) {
        String ip = isa.getAddress() != null ? isa.getAddress().getHostAddress() : isa.getHostString();
        String prior = h.get(Headers.X_FORWARDED_FOR);
        h.set(Headers.X_FORWARDED_FOR, prior == null || prior.isBlank() ? ip : prior + ", " + ip);
      }
      h.set(Headers.X_FORWARDED_PROTO, px.scheme);
      h.set(Headers.X_REQUEST_ID, requestId);
      px.tracing.inject(span, h);
      if (!HttpUtil.isContentLengthSet(head) && !bodyless) {
        h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
      return new DefaultHttpRequest(HttpVersion.HTTP_1_1, head.method(), target.path(), h);
    }

    // --- upstream events (same event loop) ---

    @Override
    public void onUpstreamRead(Object msg) {
      Attempt a = attempt;
      if (a == null || a.upstream == null || finished) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpResponse resp) {
        int code = resp.status().code();
        if (code >= 100 && code < 200) {
          ReferenceCountUtil.release(msg); // interim responses (100 Continue was answered by us)
          return;
        }
        a.cancelTimer();
        a.status = code;
        a.upstreamKeepAlive = HttpUtil.isKeepAlive(resp);
        // A 5xx is retried only when allowed and paid for; otherwise the client gets it as it is.
        if (code >= 500 && canRetryAfterSend() && serviceGuard.retryBudget().tryRetry()) {
          ReferenceCountUtil.release(msg);
          retry(a, new UpstreamException("status " + code));
          return;
        }
        responseStarted = true;
        HttpResponse out = new DefaultHttpResponse(resp.protocolVersion(), resp.status(), resp.headers().copy());
        Headers.stripHopByHop(out.headers());
        out.headers().set(Headers.X_REQUEST_ID, requestId);
        if (!http2) {
          out.setProtocolVersion(HttpVersion.HTTP_1_1);
          boolean hasBody = head.method() != HttpMethod.HEAD && code != 204 && code != 304;
          if (hasBody && !HttpUtil.isContentLengthSet(out)) {
            if (head.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
              closeAfterResponse = true; // an HTTP/1.0 client reads to the close: it knows no chunks
            } else {
              HttpUtil.setTransferEncodingChunked(out, true);
            }
          }
          if (closeAfterResponse) {
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
          }
        }
        ReferenceCountUtil.release(msg);
        track(ctx.write(out));
        if (msg instanceof HttpContent) {
          throw new IllegalStateException("full responses are not expected from the client codec");
        }
        return;
      }
      HttpContent c = (HttpContent) msg;
      if (!responseStarted) {
        c.release();
        return;
      }
      boolean last = c instanceof LastHttpContent;
      if (last) {
        track(ctx.writeAndFlush(c));
        complete(a);
      } else {
        track(ctx.writeAndFlush(c));
        if (!ctx.channel().isWritable()) {
          a.upstream.config().setAutoRead(false);
        }
      }
    }

    @Override
    public void onUpstreamInactive() {
      Attempt a = attempt;
      if (a == null || finished) {
        return;
      }
      a.upstreamClosed = true;
      if (responseStarted) {
        // The response was cut: the client cannot be told otherwise than by closing.
        a.settle(false, new UpstreamException("connection lost mid-response"));
        finishStats(a, true);
        finished = true;
        px.observer.requestFinished(target.service(), a.endpoint.version(), a.status, System.nanoTime() - startNanos);
        RequestTracing.end(span, a.status);
        px.inFlight.decrementAndGet();
        ex = null;
        closeNow();
        return;
      }
      attemptFailed(a, new UpstreamException("connection closed"), a.sent, false,
          "upstream " + a.endpoint.key().hostPort() + " closed the connection");
    }

    @Override
    public void onUpstreamWritabilityChanged() {
      Attempt a = attempt;
      if (a != null && a.upstream != null && a.upstream.isWritable() && !requestDone && !finished) {
        autoRead(true);
      }
    }

    @Override
    public void onUpstreamError(Throwable cause) {
      log.log(Level.FINE, "upstream connection failed", cause);
      // channelInactive follows the close and settles the attempt.
    }

    void onTimeout(Attempt a) {
      if (a != attempt || finished || responseStarted) {
        return;
      }
      attemptFailed(a, new UpstreamException("timeout"), true, true, "timeout");
    }

    private boolean canRetryAfterSend() {
      return retryableAfterSend && !bodySent && attempts < px.config.resilience().maxAttempts();
    }

    /**
     * An attempt failed before its response started: retry when allowed and paid for, else answer
     * 502/504.
     */
    void attemptFailed(Attempt a, Throwable cause, boolean reachedUpstream, boolean timedOut, String why) {
      boolean retryable = reachedUpstream ? canRetryAfterSend()
          : !bodySent && attempts < px.config.resilience().maxAttempts();
      if (retryable && serviceGuard.retryBudget().tryRetry()) {
        retry(a, cause);
        return;
      }
      a.cancelTimer();
      a.settle(false, cause);
      finishStats(a, true);
      a.discardUpstream();
      attempt = null;
      if (timedOut) {
        fail(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream_timeout", "no response from service '"
            + target.service() + "' within " + timeout.toMillis() + " ms");
      } else {
        fail(HttpResponseStatus.BAD_GATEWAY, "upstream_failed", why);
      }
    }

    /** Records the failed attempt and tries again (the retry was already paid for). */
    private void retry(Attempt a, Throwable cause) {
      a.cancelTimer();
      a.settle(false, cause);
      finishStats(a, true);
      a.discardUpstream();
      attempt = null;
      px.retries.incrementAndGet();
      px.observer.retried(target.service());
      nextAttempt();
    }

    /** The response was written whole. */
    void complete(Attempt a) {
      boolean error = a.status >= 500;
      a.settle(!error, error ? new UpstreamException("status " + a.status) : null);
      finishStats(a, error);
      finished = true;
      attempt = null;
      px.observer.requestFinished(target.service(), a.endpoint.version(), a.status, System.nanoTime() - startNanos);
      RequestTracing.end(span, a.status);
      Channel up = a.upstream;
      up.attr(UpstreamHandler.LISTENER).set(null);
      if (requestDone && a.upstreamKeepAlive && !a.upstreamClosed) {
        up.config().setAutoRead(true);
        UpstreamPools.release(up);
      } else {
        up.close();
        UpstreamPools.release(up);
      }
      px.inFlight.decrementAndGet();
      ex = null;
      responseInFlight = false;
      if (!requestDone) {
        acceptsBody = false;
        autoRead(true); // drop the rest of the body the upstream did not wait for
      }
      maybeNext();
    }

    /** Answers with an error instead of a response. */
    void fail(HttpResponseStatus status, String code, String message) {
      finished = true;
      if (!"unknown_service".equals(code)) {
        px.observer.requestFinished(target.service(), ProxyObserver.VERSION_NONE, status.code(),
            System.nanoTime() - startNanos);
      }
      RequestTracing.end(span, status.code());
      attempt = null;
      acceptsBody = false;
      while (!queued.isEmpty()) {
        queued.poll().release();
      }
      px.inFlight.decrementAndGet();
      ex = null;
      if (responseStarted) {
        closeNow();
        return;
      }
      answer(status, code, message, requestId, target.service());
    }

    /** The client went away: let go of everything. */
    void abort() {
      if (finished) {
        return;
      }
      finished = true;
      RequestTracing.end(span, 499);
      Attempt a = attempt;
      if (a != null) {
        a.cancelTimer();
        a.release();
        a.discardUpstream();
      }
      while (!queued.isEmpty()) {
        queued.poll().release();
      }
      px.inFlight.decrementAndGet();
      ex = null;
    }

    /** Drops the current attempt without an outcome (the request was refused locally). */
    void abandonAttempt() {
      Attempt a = attempt;
      if (a != null) {
        a.cancelTimer();
        a.release();
        a.discardUpstream();
        attempt = null;
      }
    }

    private void finishStats(Attempt a, boolean error) {
      long nanos = System.nanoTime() - a.startNanos;
      px.stats.record(target.service(), a.endpoint.version(), nanos, error);
      px.observer.attemptFinished(target.service(), nanos);
    }

    /** One try on one instance. */
    private final class Attempt {
      final Endpoint endpoint;
      final long startNanos = System.nanoTime();
      Channel upstream;
      ScheduledFuture<?> timer;
      boolean sent;
      boolean settled;
      int status;
      boolean upstreamKeepAlive;
      boolean upstreamClosed;

      Attempt(Endpoint endpoint) {
        this.endpoint = endpoint;
      }

      void cancelTimer() {
        if (timer != null) {
          timer.cancel(false);
          timer = null;
        }
      }

      /** Reports the outcome to the instance and service breakers, once. */
      void settle(boolean success, Throwable cause) {
        if (settled) {
          return;
        }
        settled = true;
        endpoint.end();
        long nanos = System.nanoTime() - startNanos;
        InstanceGuard g = Router.guard(endpoint);
        if (success) {
          g.onSuccess(nanos);
          serviceGuard.breaker().onSuccess(nanos, TimeUnit.NANOSECONDS);
        } else {
          if (g.onFailure(nanos, cause)) {
            px.observer.ejected(target.service());
          }
          serviceGuard.breaker().onError(nanos, TimeUnit.NANOSECONDS, cause);
        }
      }

      /** Gives back the breaker permissions without an outcome, once. */
      void release() {
        if (settled) {
          return;
        }
        settled = true;
        endpoint.end();
        Router.guard(endpoint).release();
        serviceGuard.breaker().releasePermission();
      }

      /** Closes the upstream connection: its stream is out of step with any next request. */
      void discardUpstream() {
        Channel up = upstream;
        if (up != null) {
          upstream = null;
          up.attr(UpstreamHandler.LISTENER).set(null);
          up.close();
          UpstreamPools.release(up);
        }
      }
    }
  }

  /** A failed upstream attempt (breakers record it as an error). */
  static final class UpstreamException extends Exception {
    UpstreamException(String message) {
      super(message, null, false, false);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
