package dev.vertice.gateway.grpc;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.common.ServiceNames;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.balancer.EndpointKey;
import dev.vertice.gateway.proxy.ProxyObserver;
import dev.vertice.gateway.proxy.RequestTarget;
import dev.vertice.gateway.proxy.ServerTls;
import dev.vertice.gateway.proxy.StatsSink;
import dev.vertice.gateway.proxy.Transports;
import dev.vertice.gateway.resilience.InstanceGuard;
import dev.vertice.gateway.routing.Router;
import dev.vertice.security.tls.ReloadingTls;
import io.grpc.Status;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * {@code GrpcProxyServer} proxies gRPC calls of any method, unary and streaming, on a port of its
 * own, by relaying HTTP/2 frames: each call's stream from the client is relayed to a stream on an
 * HTTP/2 connection to the chosen instance, headers, messages and trailers as they are, never
 * decoded into messages. Flow control is kept end to end: what one side sends is given back to its
 * window only once the other side has written it.
 *
 * <p>The target service is named by the {@code x-vertice-service} header, else by the call's
 * authority (host part). Instances registered with protocol {@code grpc} serve it, picked by the
 * same router as HTTP. Unknown service: NOT_FOUND; no instance: UNAVAILABLE; a method path that is
 * not {@code /<service>/<method>} under {@link RequestTarget}'s rule: INVALID_ARGUMENT, never
 * forwarded; not a POST: HTTP 405; not {@code application/grpc}: HTTP 415; a malformed {@code
 * grpc-timeout}: INVALID_ARGUMENT. The client's {@code grpc-timeout} goes to the instance as it came
 * and is enforced here too (DEADLINE_EXCEEDED, the instance's stream reset). A message longer than
 * {@code max(4096, maxBodyBytes)} either way ends the call with RESOURCE_EXHAUSTED. The instance
 * unreachable, or its connection lost mid-call: UNAVAILABLE. gRPC calls are not retried (a stream
 * cannot be replayed).
 *
 * <p>A client connection's calls are relayed on its event loop, over that loop's own connection to
 * each instance ({@link UpstreamConnection}): no call crosses threads, and nothing locks.
 */
public final class GrpcProxyServer implements AutoCloseable {

  /** The header naming the target service (gRPC metadata {@code x-vertice-service}). */
  public static final io.grpc.Metadata.Key<String> SERVICE_HEADER =
      io.grpc.Metadata.Key.of("x-vertice-service", io.grpc.Metadata.ASCII_STRING_MARSHALLER);

  private static final String MALFORMED_PATH = "malformed method path: expected /<service>/<method>"
      + " in visible ASCII characters with valid percent-encoding";

  private final GatewayConfig config;
  private final EventLoopGroup group;
  private final Router router;
  private final StatsSink stats;
  private final ProxyObserver observer;
  /** Null when tracing is off. */
  private final CallTracing tracing;
  private final SslContext sslContext;
  private final Channel serverChannel;
  /** The group's event loops, in a fixed order: a loop's index names its flush batch and upstream connections. */
  private final EventLoop[] loops;
  private final FlushBatch[] batches;
  /** Per event loop, used only on it: its connection to each instance. */
  private final List<HashMap<EndpointKey, UpstreamConnection>> upstreams;
  private final ChannelGroup clientChannels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final ChannelGroup upstreamChannels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final Http2Settings serverSettings;
  private final Http2Settings clientSettings;
  private final long maxMessageBytes;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong calls = new AtomicLong();
  private volatile boolean draining;

  /**
   * {@code GrpcProxyServer} binds {@code config.host():config.grpcPort()}.
   *
   * @throws IllegalStateException when the port cannot be bound
   */
  public GrpcProxyServer(GatewayConfig config, EventLoopGroup group, Router router, StatsSink stats) {
    this(config, group, router, stats, ProxyObserver.NONE);
  }

  /**
   * {@code GrpcProxyServer} is {@link #GrpcProxyServer(GatewayConfig, EventLoopGroup, Router,
   * StatsSink)} reporting calls to {@code observer} (status mapped by {@link
   * ProxyObserver#grpcStatusCode}).
   *
   * @throws IllegalStateException when the port cannot be bound
   */
  public GrpcProxyServer(GatewayConfig config, EventLoopGroup group, Router router, StatsSink stats,
      ProxyObserver observer) {
    this(config, group, router, stats, observer, dev.vertice.observability.Tracing.off());
  }

  /**
   * {@code GrpcProxyServer} is {@link #GrpcProxyServer(GatewayConfig, EventLoopGroup, Router,
   * StatsSink, ProxyObserver)} with a SERVER span per proxied call and a CLIENT span per upstream
   * call on {@code tracing} (the upstream receives the CLIENT span's W3C trace context).
   *
   * @throws IllegalStateException when the port cannot be bound
   */
  public GrpcProxyServer(GatewayConfig config, EventLoopGroup group, Router router, StatsSink stats,
      ProxyObserver observer, dev.vertice.observability.Tracing tracing) {
    this(config, group, router, stats, observer, tracing, null);
  }

  /**
   * {@code GrpcProxyServer} is {@link #GrpcProxyServer(GatewayConfig, EventLoopGroup, Router,
   * StatsSink, ProxyObserver, dev.vertice.observability.Tracing)} serving TLS with {@code tls}
   * (HTTP/2 by ALPN; client certificates as {@code tls} asks for them; each new handshake sees the
   * files as last reloaded); null serves plaintext. Upstream calls stay plaintext.
   *
   * @throws IllegalStateException when the port cannot be bound
   */
  public GrpcProxyServer(GatewayConfig config, EventLoopGroup group, Router router, StatsSink stats,
      ProxyObserver observer, dev.vertice.observability.Tracing tracing, ReloadingTls tls) {
    this.observer = java.util.Objects.requireNonNull(observer, "observer");
    this.tracing = CallTracing.of(tracing);
    this.sslContext = tls == null ? null : ServerTls.sslContext(tls, ApplicationProtocolNames.HTTP_2);
    this.config = config;
    this.group = group;
    this.router = router;
    this.stats = stats;
    List<EventLoop> all = new ArrayList<>();
    group.forEach(executor -> all.add((EventLoop) executor));
    this.loops = all.toArray(new EventLoop[0]);
    this.batches = new FlushBatch[loops.length];
    this.upstreams = new ArrayList<>(loops.length);
    for (int i = 0; i < loops.length; i++) {
      batches[i] = new FlushBatch(loops[i]);
      upstreams.add(new HashMap<>());
    }
    this.maxMessageBytes = Math.min(Integer.MAX_VALUE, Math.max(4096, config.maxBodyBytes()));
    this.serverSettings = Http2Settings.defaultSettings()
        .maxConcurrentStreams(config.maxConcurrentStreams())
        .maxHeaderListSize(config.maxHeaderBytes())
        .initialWindowSize(RelayConnection.STREAM_WINDOW_BYTES);
    this.clientSettings = Http2Settings.defaultSettings()
        .pushEnabled(false)
        .maxHeaderListSize(config.maxHeaderBytes())
        .initialWindowSize(RelayConnection.STREAM_WINDOW_BYTES);
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(Transports.serverChannel(group))
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            clientChannels.add(ch);
            if (sslContext == null) {
              ch.pipeline().addLast(newClientConnection(ch));
              return;
            }
            ch.pipeline().addLast(sslContext.newHandler(ch.alloc()), new ApplicationProtocolNegotiationHandler("") {
              @Override
              protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                  ctx.pipeline().addLast(newClientConnection(ctx.channel()));
                } else {
                  ctx.close(); // gRPC is HTTP/2 only; a client that did not negotiate it gets nothing
                }
              }
            });
          }
        });
    ChannelFuture bound = b.bind(new InetSocketAddress(config.host(), config.grpcPort())).awaitUninterruptibly();
    if (!bound.isSuccess()) { // the cause is a checked BindException, which sync() would throw unchecked
      throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.grpcPort() + ": "
          + bound.cause().getMessage(), bound.cause());
    }
    this.serverChannel = bound.channel();
  }

  private DownstreamConnection newClientConnection(Channel ch) {
    int loop = loopIndex(ch.eventLoop());
    return DownstreamConnection.create(this, serverSettings, batches[loop], loop, config.idleTimeout());
  }

  private int loopIndex(EventLoop loop) {
    for (int i = 0; i < loops.length; i++) {
      if (loops[i] == loop) {
        return i;
      }
    }
    throw new IllegalStateException("a channel on an event loop outside the proxy's group");
  }

  /** {@code secure} says whether the listener serves TLS. */
  public boolean secure() {
    return sslContext != null;
  }

  /** {@code port} returns the bound port. */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** {@code inFlight} returns the calls being proxied now. */
  public int inFlight() {
    return inFlight.get();
  }

  /** {@code calls} returns the calls received since start. */
  public long calls() {
    return calls.get();
  }

  long maxMessageBytes() {
    return maxMessageBytes;
  }

  /** The streams a client connection may have open at once (its receive window is sized for them). */
  int maxConcurrentStreams() {
    return config.maxConcurrentStreams();
  }

  /** {@code remove} retires the connections to {@code gone} instances (calls in flight on them finish). */
  public void remove(Set<EndpointKey> gone) {
    retireWhere(gone::contains);
  }

  /** {@code retain} retires the connections to instances no longer in {@code live}. */
  public void retain(Set<EndpointKey> live) {
    retireWhere(k -> !live.contains(k));
  }

  private void retireWhere(Predicate<EndpointKey> retired) {
    for (int i = 0; i < loops.length; i++) {
      HashMap<EndpointKey, UpstreamConnection> mine = upstreams.get(i);
      loops[i].execute(() -> {
        List<UpstreamConnection> out = new ArrayList<>();
        mine.forEach((k, c) -> {
          if (retired.test(k)) {
            out.add(c);
          }
        });
        out.forEach(UpstreamConnection::retire);
      });
    }
  }

  /**
   * {@code drain} refuses new calls (GOAWAY to every client) and waits up to {@code grace} for the
   * calls in flight; returns whether they all ended.
   */
  public boolean drain(Duration grace) throws InterruptedException {
    draining = true;
    serverChannel.close().await(grace.toMillis(), TimeUnit.MILLISECONDS);
    for (Channel ch : clientChannels) {
      ch.eventLoop().execute(() -> {
        DownstreamConnection c = ch.pipeline().get(DownstreamConnection.class);
        if (c != null) {
          c.gracefulShutdownTimeoutMillis(grace.toMillis());
        }
        ch.close(); // GOAWAY, then the connection closes when its last call ends
      });
    }
    clientChannels.newCloseFuture().await(grace.toMillis() + 1000, TimeUnit.MILLISECONDS);
    return inFlight.get() == 0;
  }

  @Override
  public void close() {
    draining = true;
    serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    for (Channel ch : clientChannels) {
      ch.eventLoop().execute(() -> {
        DownstreamConnection c = ch.pipeline().get(DownstreamConnection.class);
        if (c != null) {
          c.gracefulShutdownTimeoutMillis(0);
        }
        ch.close();
      });
    }
    clientChannels.newCloseFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
    upstreamChannels.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
  }

  /** {@code forget} drops a retired upstream connection from its loop's table (on that loop). */
  void forget(UpstreamConnection c) {
    upstreams.get(c.loop).values().removeIf(x -> x == c);
  }

  /** {@code startCall} routes a new stream of {@code down} and relays it, or answers it itself. */
  void startCall(DownstreamConnection down, int streamId, Http2Headers headers, boolean endOfStream) {
    calls.incrementAndGet();
    if (draining) {
      down.refuse(streamId, Status.Code.UNAVAILABLE, "the gateway is shutting down");
      return;
    }
    if (!GrpcWire.POST.contentEquals(headers.method())) {
      down.refuseHttp(streamId, 405);
      return;
    }
    if (!isGrpcContentType(headers.get(GrpcWire.CONTENT_TYPE))) {
      down.refuseHttp(streamId, 415);
      return;
    }
    CharSequence path = headers.path();
    String method = path != null && path.length() > 1 && path.charAt(0) == '/'
        ? path.subSequence(1, path.length()).toString() : null;
    if (method == null || !RequestTarget.isValidGrpcMethod(method)) {
      // Refused before anything is routed or sent: upstreams would parse such a path each their own way.
      down.refuse(streamId, Status.Code.INVALID_ARGUMENT, MALFORMED_PATH);
      return;
    }
    CharSequence timeout = headers.get(GrpcWire.GRPC_TIMEOUT);
    long timeoutNanos = timeout == null ? -1 : GrpcWire.timeoutNanos(timeout);
    if (timeout != null && timeoutNanos < 0) {
      down.refuse(streamId, Status.Code.INVALID_ARGUMENT, "malformed grpc-timeout '" + timeout
          + "': expected 1 to 8 digits and a unit (H, M, S, m, u, n)");
      return;
    }
    CharSequence named = headers.get(GrpcWire.SERVICE_HEADER);
    if (named == null) {
      CharSequence authority = headers.authority();
      if (authority != null) {
        String a = authority.toString();
        int colon = a.lastIndexOf(':');
        named = colon > 0 && !a.endsWith("]") ? a.substring(0, colon) : a;
      }
    }
    String service = named == null ? null : ServiceNames.normalize(named.toString()).orElse(null);
    if (service == null) {
      down.refuse(streamId, Status.Code.NOT_FOUND, "no target service: set the x-vertice-service header or"
          + " the call's authority to a service name (got '" + named + "')");
      return;
    }
    Router.Decision d = router.route(service, Protocol.PROTOCOL_GRPC, Router.GUARDED);
    if (d.outcome() != Router.Outcome.ROUTED) {
      if (d.outcome() != Router.Outcome.UNKNOWN_SERVICE) {
        observer.requestFinished(service, ProxyObserver.VERSION_NONE, 503, 0);
        down.refuse(streamId, Status.Code.UNAVAILABLE,
            "service '" + service + "' has no gRPC instance able to take the call");
      } else {
        down.refuse(streamId, Status.Code.NOT_FOUND, "no service named '" + service + "'");
      }
      return;
    }
    Endpoint e = d.endpoint();
    RelayedCall call = new RelayedCall(this, down, streamId, headers, endOfStream, e, service, method,
        maxMessageBytes);
    down.calls.put(streamId, call);
    inFlight.incrementAndGet();
    e.begin();
    if (tracing != null) {
      tracing.start(call, headers);
    }
    if (timeoutNanos >= 0) {
      call.deadline = down.ctx.executor().schedule(call::deadlineExpired, timeoutNanos, TimeUnit.NANOSECONDS);
    }
    upstream(e.key(), down).start(call);
  }

  /** {@code isGrpcContentType} accepts {@code application/grpc}, alone or followed by {@code +...} or {@code ;...}. */
  private static boolean isGrpcContentType(CharSequence v) {
    int n = GrpcWire.APPLICATION_GRPC.length();
    if (v == null || v.length() < n || !AsciiString.regionMatches(v, true, 0, GrpcWire.APPLICATION_GRPC, 0, n)) {
      return false;
    }
    return v.length() == n || v.charAt(n) == '+' || v.charAt(n) == ';';
  }

  /** {@code upstream} returns {@code down}'s loop's usable connection to {@code key}, connecting one if needed. */
  private UpstreamConnection upstream(EndpointKey key, DownstreamConnection down) {
    HashMap<EndpointKey, UpstreamConnection> mine = upstreams.get(down.loop);
    UpstreamConnection c = mine.get(key);
    if (c != null && c.usable()) {
      return c;
    }
    UpstreamConnection fresh = UpstreamConnection.create(this, key, clientSettings, batches[down.loop], down.loop);
    mine.put(key, fresh);
    ChannelFuture f = new Bootstrap()
        .group(down.ctx.channel().eventLoop())
        .channel(Transports.socketChannel(group))
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
            config.connectTimeout().toMillis()))
        .handler(fresh)
        .connect(InetSocketAddress.createUnresolved(key.address(), key.port()));
    upstreamChannels.add(f.channel());
    f.addListener(done -> {
      if (!done.isSuccess()) {
        fresh.connectFailed(done.cause());
      }
    });
    return fresh;
  }

  /** {@code finished} accounts for a call that ended with {@code code}. */
  void finished(RelayedCall call, Status.Code c) {
    long nanos = System.nanoTime() - call.startNanos;
    Endpoint endpoint = call.endpoint;
    if (c == Status.Code.CANCELLED) {
      endpoint.end();
    } else {
      endpoint.end(nanos);
    }
    inFlight.decrementAndGet();
    boolean error = c == Status.Code.UNAVAILABLE || c == Status.Code.INTERNAL || c == Status.Code.UNKNOWN
        || c == Status.Code.DEADLINE_EXCEEDED || c == Status.Code.DATA_LOSS;
    InstanceGuard g = Router.guard(endpoint);
    if (c == Status.Code.CANCELLED) {
      g.release();
    } else if (error) {
      if (g.onFailure(nanos, Status.fromCode(c).asException())) {
        observer.ejected(call.service);
      }
    } else {
      g.onSuccess(nanos);
    }
    if (tracing != null) {
      CallTracing.end(call, c, error);
    }
    stats.record(call.service, endpoint.version(), nanos, error);
    observer.attemptFinished(call.service, nanos);
    observer.requestFinished(call.service, endpoint.version(), ProxyObserver.grpcStatusCode(c), nanos);
  }
}
