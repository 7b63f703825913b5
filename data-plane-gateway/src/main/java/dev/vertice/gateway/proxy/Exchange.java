package dev.vertice.gateway.proxy;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.balancer.EndpointKey;
import dev.vertice.gateway.resilience.ServiceGuard;
import dev.vertice.gateway.routing.RouteResolver;
import dev.vertice.gateway.routing.Router;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code Exchange} is one proxied request: it picks instances, connects, streams the request body
 * up and the response down, retries and reports every attempt to the breakers, stats and tracing.
 *
 * <p>It runs on the client connection's event loop and acts on the client only through
 * {@link ClientSide} (flow control, writes, local answers). Retries: an attempt that failed to
 * connect is retried on another instance (nothing reached an upstream); an attempt that reached an
 * upstream (5xx, timeout, connection lost before the response) is retried only for an idempotent
 * method without a body. Every retry is paid from the service's retry budget; attempts per request
 * are capped.
 */
final class Exchange implements UpstreamHandler.Listener {

  private static final Logger log = Logger.getLogger(Exchange.class.getName());

  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
      HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.TRACE);

  private final ProxyContext px;
  private final ClientSide client;
  private final ChannelHandlerContext ctx;
  private final boolean http2;
  final HttpRequest head;
  final String requestId;
  final RouteResolver.Target target;
  final String originalHost;
  final boolean retryableAfterSend;
  final boolean bodyless;
  final long startNanos = System.nanoTime();
  final Duration timeout;
  private final long timeoutNanos;
  final ServiceGuard serviceGuard;
  /** Request content that came before the upstream connection; made when first needed. */
  private ArrayDeque<HttpContent> queued;
  /** The instance of the first attempt; the others tried, on retries only. */
  private EndpointKey firstTried;
  private Set<EndpointKey> moreTried;
  boolean acceptsBody = true;
  boolean requestDone;
  boolean bodySent;
  long bodyBytes;
  int attempts;
  Attempt attempt;
  boolean responseStarted;
  /** Response messages were written to the client and not yet flushed. */
  private boolean clientFlushPending;
  /** The request head sent upstream, made on the first attempt. */
  private HttpRequest upstreamHead;
  boolean finished;
  /** The request's SERVER span, null when tracing is off. */
  final io.opentelemetry.api.trace.Span span;

  Exchange(ProxyContext px, ClientSide client, ChannelHandlerContext ctx, boolean http2, HttpRequest head,
      String requestId, RouteResolver.Target target, String host, boolean bodyless) {
    this.px = px;
    this.client = client;
    this.ctx = ctx;
    this.http2 = http2;
    this.head = head;
    this.requestId = requestId;
    this.target = target;
    this.originalHost = host;
    this.bodyless = bodyless;
    this.retryableAfterSend = bodyless && IDEMPOTENT.contains(head.method());
    this.timeout = target.timeout() != null ? target.timeout() : px.config.requestTimeout();
    this.timeoutNanos = timeout.toNanos();
    this.serviceGuard = px.router.state().serviceGuard(target.service());
    this.span = px.tracing.start(head, target.service(), target.path());
  }

  /** Picks an instance and connects to it, or answers 404/503. */
  void nextAttempt() {
    // The first attempt admits every instance the breakers admit (no lambda made per request).
    Router.Decision d = px.router.route(target.service(), Protocol.PROTOCOL_HTTP, firstTried == null ? Router.GUARDED
        : e -> !tried(e.key()) && Router.GUARDED.admit(e));
    if (d.outcome() == Router.Outcome.NO_HEALTHY_INSTANCE && firstTried != null) {
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
    if (firstTried == null) {
      firstTried = e.key();
    } else {
      if (moreTried == null) {
        moreTried = new HashSet<>(4);
      }
      moreTried.add(e.key());
    }
    Attempt a = new Attempt(e, serviceGuard, px.observer, target.service());
    attempt = a;
    e.begin();
    // The hot path: an idle connection of this event loop, taken without a future.
    Channel idle = px.pools.pollIdle(ctx.channel().eventLoop(), e.key());
    if (idle != null) {
      onAcquired(a, idle, true);
      return;
    }
    Future<Channel> f = px.pools.acquire(ctx.channel().eventLoop(), e.key());
    if (f.isDone()) {
      onAcquired(a, f, true);
    } else {
      f.addListener(x -> onAcquired(a, f, false));
    }
  }

  private boolean tried(EndpointKey k) {
    return k.equals(firstTried) || (moreTried != null && moreTried.contains(k));
  }

  private boolean queuedEmpty() {
    return queued == null || queued.isEmpty();
  }

  private void releaseQueued() {
    if (queued != null) {
      while (!queued.isEmpty()) {
        queued.poll().release();
      }
    }
  }

  private void onAcquired(Attempt a, Future<Channel> f, boolean inRequestRead) {
    if (f.isSuccess()) {
      onAcquired(a, f.getNow(), inRequestRead);
      return;
    }
    if (a != attempt || finished) {
      return;
    }
    attemptFailed(a, f.cause(), false, false, "connection to " + a.endpoint.hostPort() + " failed: "
        + f.cause().getMessage());
  }

  /**
   * Sends the request head (and what came of the body) on {@code up}. {@code inRequestRead}: called
   * while the client's request head is being handled, so that a bodyless HTTP/1.1 request's last
   * content follows at once and its write flushes both (one write to the socket per request).
   */
  private void onAcquired(Attempt a, Channel up, boolean inRequestRead) {
    if (a != attempt || finished) {
      UpstreamPools.release(up);
      return;
    }
    a.upstream = up;
    up.attr(UpstreamHandler.LISTENER).set(this);
    up.config().setAutoRead(true);
    up.write(upstreamRequest(a.endpoint), up.voidPromise());
    a.sent = true;
    if (requestDone && queuedEmpty()) {
      // A retry of a bodyless request: its (empty) last content went to the previous attempt.
      up.write(LastHttpContent.EMPTY_LAST_CONTENT, up.voidPromise());
    }
    while (!queuedEmpty()) {
      HttpContent c = queued.poll();
      bodySent |= c.content().isReadable();
      up.write(c, up.voidPromise());
    }
    if (!(inRequestRead && bodyless && !http2 && !requestDone)) {
      up.flush();
    }
    a.startTimer(client.responseTimer(), timeoutNanos);
    if (!requestDone) {
      client.autoRead(up.isWritable());
    }
  }

  void onRequestContent(HttpContent c) {
    if (c.decoderResult().isFailure()) {
      // Never forwarded as the end of the body: the upstream must not take a broken body for a whole one.
      c.release();
      requestDone = true;
      acceptsBody = false;
      client.closeAfterResponse();
      if (responseStarted) {
        client.closeNow();
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
      client.closeAfterResponse();
      if (responseStarted) {
        client.closeNow();
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
      a.upstream.writeAndFlush(c, a.upstream.voidPromise());
      if (last) {
        if (!bodyless) {
          client.autoRead(false); // the next pipelined request waits for this response (onObject holds it)
        }
      } else if (!a.upstream.isWritable()) {
        client.autoRead(false);
      }
    } else {
      if (queued == null) {
        queued = new ArrayDeque<>(4);
      }
      queued.add(c);
    }
  }

  /**
   * The HTTP/1.1 request head sent upstream: the client's head, its headers edited in place once
   * (no copy) and kept for retries, which only change the Host header.
   */
  private HttpRequest upstreamRequest(Endpoint e) {
    HttpRequest r = upstreamHead;
    if (r == null) {
      HttpHeaders h = head.headers();
      boolean chunked = !HttpUtil.isContentLengthSet(head) && !bodyless;
      Headers.stripHopByHop(h);
      h.remove(HttpHeaderNames.EXPECT);
      if (originalHost != null) {
        h.set(Headers.X_FORWARDED_HOST, originalHost);
      }
      String ip = client.clientAddress();
      if (ip != null) {
        String prior = h.get(Headers.X_FORWARDED_FOR);
        h.set(Headers.X_FORWARDED_FOR, prior == null || prior.isBlank() ? ip : prior + ", " + ip);
      }
      h.set(Headers.X_FORWARDED_PROTO, px.scheme);
      h.set(Headers.X_REQUEST_ID, requestId);
      px.tracing.inject(span, h);
      if (chunked) {
        h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
      r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, head.method(), target.path(), h);
      upstreamHead = r;
    }
    r.headers().set(HttpHeaderNames.HOST, e.hostPort());
    return r;
  }

  /** The client can take more: let the upstream response flow again. */
  void onClientWritable() {
    Attempt a = attempt;
    if (a != null && a.upstream != null) {
      a.upstream.config().setAutoRead(true);
    }
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
        retry(a, new Attempt.UpstreamException("status " + code));
        return;
      }
      responseStarted = true;
      // Forwarded as the codec made it: headers edited in place, nothing copied.
      HttpResponse out = resp;
      Headers.stripHopByHop(out.headers());
      out.headers().set(Headers.X_REQUEST_ID, requestId);
      if (!http2) {
        out.setProtocolVersion(HttpVersion.HTTP_1_1);
        boolean hasBody = head.method() != HttpMethod.HEAD && code != 204 && code != 304;
        if (hasBody && !HttpUtil.isContentLengthSet(out)) {
          if (head.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            client.closeAfterResponse(); // an HTTP/1.0 client reads to the close: it knows no chunks
          } else {
            HttpUtil.setTransferEncodingChunked(out, true);
          }
        }
        if (client.closesAfterResponse()) {
          out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
      }
      if (msg instanceof HttpContent) {
        ReferenceCountUtil.release(msg);
        throw new IllegalStateException("full responses are not expected from the client codec");
      }
      // Flushed with the last content, or at the end of the upstream read (onUpstreamReadComplete).
      ctx.write(out, ctx.voidPromise());
      clientFlushPending = true;
      return;
    }
    HttpContent c = (HttpContent) msg;
    if (!responseStarted) {
      c.release();
      return;
    }
    boolean last = c instanceof LastHttpContent;
    if (last) {
      clientFlushPending = false;
      client.track(ctx.writeAndFlush(c));
      complete(a);
    } else {
      ctx.write(c, ctx.voidPromise());
      clientFlushPending = true;
      if (!ctx.channel().isWritable()) {
        // Flushed now; if the client still cannot take more, the upstream pauses until it can.
        ctx.flush();
        clientFlushPending = false;
        if (!ctx.channel().isWritable()) {
          a.upstream.config().setAutoRead(false);
        }
      }
    }
  }

  @Override
  public void onUpstreamReadComplete() {
    // One flush to the client per upstream read batch rather than one per message.
    if (clientFlushPending) {
      clientFlushPending = false;
      ctx.flush();
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
      a.settle(false, new Attempt.UpstreamException("connection lost mid-response"));
      finishStats(a, true);
      finished = true;
      px.observer.requestFinished(target.service(), a.endpoint.version(), a.status, System.nanoTime() - startNanos);
      RequestTracing.end(span, a.status);
      px.inFlight.decrement();
      client.exchangeEnded();
      client.closeNow();
      return;
    }
    attemptFailed(a, new Attempt.UpstreamException("connection closed"), a.sent, false,
        "upstream " + a.endpoint.hostPort() + " closed the connection");
  }

  @Override
  public void onUpstreamWritabilityChanged() {
    Attempt a = attempt;
    if (a != null && a.upstream != null && a.upstream.isWritable() && !requestDone && !finished) {
      client.autoRead(true);
    }
  }

  @Override
  public void onUpstreamError(Throwable cause) {
    log.log(Level.FINE, "upstream connection failed", cause);
    // channelInactive follows the close and settles the attempt.
  }

  /** The connection's response timer ran out (armed by the current attempt). */
  void onTimeout() {
    Attempt a = attempt;
    if (a == null || a.timer == null || finished || responseStarted) {
      return;
    }
    attemptFailed(a, new Attempt.UpstreamException("timeout"), true, true, "timeout");
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
    px.retries.increment();
    px.observer.retried(target.service());
    nextAttempt();
  }

  /** The response was written whole. */
  void complete(Attempt a) {
    boolean error = a.status >= 500;
    a.settle(!error, error ? new Attempt.UpstreamException("status " + a.status) : null);
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
    px.inFlight.decrement();
    client.exchangeEnded();
    if (!requestDone) {
      acceptsBody = false;
    }
    // When the request body is still coming, the rest of it (the upstream did not wait for it) is dropped.
    client.responseComplete(!requestDone);
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
    releaseQueued();
    px.inFlight.decrement();
    client.exchangeEnded();
    if (responseStarted) {
      client.closeNow();
      return;
    }
    client.answer(status, code, message, requestId, target.service());
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
    releaseQueued();
    px.inFlight.decrement();
    client.exchangeEnded();
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
}
