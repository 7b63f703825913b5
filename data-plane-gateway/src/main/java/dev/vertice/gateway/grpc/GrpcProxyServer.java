package dev.vertice.gateway.grpc;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.common.ServiceNames;
import dev.vertice.gateway.GatewayConfig;
import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.balancer.EndpointKey;
import dev.vertice.gateway.proxy.ProxyObserver;
import dev.vertice.gateway.proxy.RequestTarget;
import dev.vertice.gateway.proxy.StatsSink;
import dev.vertice.gateway.proxy.Transports;
import dev.vertice.gateway.resilience.InstanceGuard;
import dev.vertice.gateway.routing.Router;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Drainable;
import io.grpc.HandlerRegistry;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code GrpcProxyServer} proxies gRPC calls of any method, unary and streaming, on a port of its
 * own: grpc-java's fallback handler registry with a byte-array marshaller, so messages pass through
 * undecoded. Headers, messages, trailers and status are relayed as they are; flow control is kept
 * end to end (one message requested at a time, only while the other side is ready).
 *
 * <p>The target service is named by the {@code x-vertice-service} header, else by the call's
 * authority (host part). Instances registered with protocol {@code grpc} serve it, picked by the
 * same router as HTTP. Unknown service: NOT_FOUND; no instance: UNAVAILABLE; a method path that is
 * not {@code /<service>/<method>} under {@link RequestTarget}'s rule: INVALID_ARGUMENT, never
 * forwarded. The client's deadline is propagated. gRPC calls are not retried (a stream cannot be replayed).
 *
 * <p>Both sides run on the gateway's event loops with grpc-java's direct executor: every callback
 * (routing, relaying, accounting) is short and never blocks.
 */
public final class GrpcProxyServer implements AutoCloseable {

  private static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TRACESTATE =
      Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

  /** Metadata key naming the target service. */
  public static final Metadata.Key<String> SERVICE_HEADER =
      Metadata.Key.of("x-vertice-service", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * Messages as byte arrays of their exact size: read at once when grpc-java knows the length (it
   * does for every received message), written in one piece with their length known, so no
   * message goes through a stream copy's scratch buffer.
   */
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new MessageStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        if (stream instanceof KnownLength) {
          int n = stream.available();
          byte[] message = new byte[n];
          if (stream.readNBytes(message, 0, n) == n && stream.read() == -1) {
            return message;
          }
          throw new IOException("a message of " + n + " bytes did not read as announced");
        }
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /** A message to send: its length known, drained into the framer in one write. */
  private static final class MessageStream extends ByteArrayInputStream implements KnownLength, Drainable {
    MessageStream(byte[] message) {
      super(message);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }

  private final GatewayConfig config;
  private final EventLoopGroup group;
  private final Router router;
  private final StatsSink stats;
  private final ProxyObserver observer;
  private final Server server;
  /** Null when tracing is off. */
  private final dev.vertice.observability.Tracing tracing;
  /**
   * One upstream channel per instance and event loop: a call is relayed on its client connection's
   * event loop both ways, with no hand-over between threads (as the HTTP proxy's pools do).
   */
  private final ConcurrentHashMap<LoopKey, ManagedChannel> channels = new ConcurrentHashMap<>();
  /** The group's event loops, in a fixed order: a loop's index names its upstream channels. */
  private final EventLoop[] loops;
  /** What a call with a malformed method path is served as: it is refused, never forwarded. */
  private static final MethodDescriptor<byte[], byte[]> MALFORMED = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNKNOWN)
      .setFullMethodName("vertice.gateway/MalformedMethodPath")
      .setRequestMarshaller(BYTES)
      .setResponseMarshaller(BYTES)
      .build();
  private final ConcurrentHashMap<String, MethodDescriptor<byte[], byte[]>> methods = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong calls = new AtomicLong();
  private volatile boolean draining;
  private final boolean secure;

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
   * StatsSink, ProxyObserver, dev.vertice.observability.Tracing)} secured by {@code credentials}
   * (for example {@code ReloadingTls.serverCredentials()}, with or without client certificates);
   * null serves plaintext. Upstream calls stay plaintext.
   *
   * @throws IllegalStateException when the port cannot be bound
   */
  public GrpcProxyServer(GatewayConfig config, EventLoopGroup group, Router router, StatsSink stats,
      ProxyObserver observer, dev.vertice.observability.Tracing tracing, io.grpc.ServerCredentials credentials) {
    this.secure = credentials != null;
    this.tracing = tracing.enabled() ? tracing : null;
    this.observer = java.util.Objects.requireNonNull(observer, "observer");
    this.config = config;
    this.group = group;
    this.router = router;
    this.stats = stats;
    List<EventLoop> all = new ArrayList<>();
    group.forEach(executor -> all.add((EventLoop) executor));
    this.loops = all.toArray(new EventLoop[0]);
    int maxMessage = (int) Math.min(Integer.MAX_VALUE, Math.max(4096, config.maxBodyBytes()));
    InetSocketAddress address = new InetSocketAddress(config.host(), config.grpcPort());
    NettyServerBuilder builder = (credentials == null ? NettyServerBuilder.forAddress(address)
        : NettyServerBuilder.forAddress(address, credentials))
        .channelType(Transports.serverChannel(group))
        .bossEventLoopGroup(group)
        .workerEventLoopGroup(group)
        // Nothing here blocks: calls are routed and relayed on the connection's event loop, with no
        // hop through an executor per callback (as the HTTP proxy does).
        .directExecutor()
        .maxInboundMessageSize(maxMessage)
        .maxInboundMetadataSize(config.maxHeaderBytes())
        .maxConcurrentCallsPerConnection(config.maxConcurrentStreams())
        .fallbackHandlerRegistry(new Registry());
    if (this.tracing != null) {
      builder.intercept(this.tracing.serverInterceptor());
    }
    Server s = builder.build();
    try {
      this.server = s.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.grpcPort() + ": "
          + e.getMessage(), e);
    }
  }

  /** {@code secure} says whether the listener serves TLS. */
  public boolean secure() {
    return secure;
  }

  /** {@code port} returns the bound port. */
  public int port() {
    return server.getPort();
  }

  /** {@code inFlight} returns the calls being proxied now. */
  public int inFlight() {
    return inFlight.get();
  }

  /** {@code calls} returns the calls received since start. */
  public long calls() {
    return calls.get();
  }

  /** {@code remove} closes the channels to {@code gone} instances (calls in flight on them finish). */
  public void remove(Set<EndpointKey> gone) {
    channels.entrySet().removeIf(e -> {
      if (gone.contains(e.getKey().instance())) {
        e.getValue().shutdown();
        return true;
      }
      return false;
    });
  }

  /** {@code retain} closes the channels to instances no longer in {@code live}. */
  public void retain(Set<EndpointKey> live) {
    channels.entrySet().removeIf(e -> {
      if (!live.contains(e.getKey().instance())) {
        e.getValue().shutdown();
        return true;
      }
      return false;
    });
  }

  /** {@code drain} refuses new calls and waits up to {@code grace} for the calls in flight. */
  public boolean drain(Duration grace) throws InterruptedException {
    draining = true;
    server.shutdown();
    return server.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    draining = true;
    server.shutdownNow();
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
    try {
      server.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** An upstream channel: to {@code instance}, on the event loop numbered {@code loop}. */
  private record LoopKey(EndpointKey instance, int loop) {}

  /** {@code currentLoop} returns the index of the event loop running this thread (0 off the loops). */
  private int currentLoop() {
    for (int i = 0; i < loops.length; i++) {
      if (loops[i].inEventLoop()) {
        return i;
      }
    }
    return 0;
  }

  private ManagedChannel channel(EndpointKey key) {
    return channels.computeIfAbsent(new LoopKey(key, currentLoop()), k -> NettyChannelBuilder
        .forAddress(k.instance().address(), k.instance().port())
        .usePlaintext()
        .eventLoopGroup(loops[k.loop()])
        .channelType(Transports.socketChannel(group))
        .directExecutor() // the upstream's answers are relayed on its event loop
        // Calls are never retried here (see the class comment): without grpc-java's retry layer no
        // message is buffered for a replay that cannot happen.
        .disableRetry()
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, Math.max(4096, config.maxBodyBytes())))
        .intercept(tracing == null ? List.of() : List.of(tracing.clientInterceptor()))
        .build());
  }

  private MethodDescriptor<byte[], byte[]> method(String fullName) {
    return methods.computeIfAbsent(fullName, n -> MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(n)
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build());
  }

  /** Answers every method with the proxying handler. */
  private final class Registry extends HandlerRegistry {
    private final ServerCallHandler<byte[], byte[]> handler = GrpcProxyServer.this::startCall;
    private final ServerCallHandler<byte[], byte[]> refuseMalformed = (call, headers) -> {
      calls.incrementAndGet();
      call.close(Status.INVALID_ARGUMENT.withDescription("malformed method path: expected /<service>/<method>"
          + " in visible ASCII characters with valid percent-encoding"), new Metadata());
      return new ServerCall.Listener<>() {};
    };

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
      if (!RequestTarget.isValidGrpcMethod(methodName)) {
        // Refused before anything is cached, routed or sent: upstreams would parse such a path each their own way.
        return ServerMethodDefinition.create(MALFORMED, refuseMalformed);
      }
      if (methods.size() > 10_000) {
        methods.clear(); // bounded: a client inventing method names cannot grow the map forever
      }
      return ServerMethodDefinition.create(method(methodName), handler);
    }
  }

  private ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> serverCall, Metadata headers) {
    calls.incrementAndGet();
    if (draining) {
      serverCall.close(Status.UNAVAILABLE.withDescription("the gateway is shutting down"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    String named = headers.get(SERVICE_HEADER);
    if (named == null) {
      String authority = serverCall.getAuthority();
      if (authority != null) {
        int colon = authority.lastIndexOf(':');
        named = colon > 0 && !authority.endsWith("]") ? authority.substring(0, colon) : authority;
      }
    }
    String service = named == null ? null : ServiceNames.normalize(named).orElse(null);
    if (service == null) {
      serverCall.close(Status.NOT_FOUND.withDescription("no target service: set the x-vertice-service header or"
          + " the call's authority to a service name (got '" + named + "')"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Router.Decision d = router.route(service, Protocol.PROTOCOL_GRPC, Router.GUARDED);
    if (d.outcome() != Router.Outcome.ROUTED) {
      if (d.outcome() != Router.Outcome.UNKNOWN_SERVICE) {
        observer.requestFinished(service, ProxyObserver.VERSION_NONE, 503, 0);
      }
      Status st = d.outcome() == Router.Outcome.UNKNOWN_SERVICE
          ? Status.NOT_FOUND.withDescription("no service named '" + service + "'")
          : Status.UNAVAILABLE.withDescription("service '" + service + "' has no gRPC instance able to take the call");
      serverCall.close(st, new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Endpoint e = d.endpoint();
    CallOptions options = CallOptions.DEFAULT;
    Deadline deadline = Context.current().getDeadline();
    if (deadline != null) {
      options = options.withDeadline(deadline);
    }
    ClientCall<byte[], byte[]> clientCall = channel(e.key())
        .newCall(method(serverCall.getMethodDescriptor().getFullMethodName()), options);
    ProxiedCall call = new ProxiedCall(serverCall, clientCall, e, service);
    inFlight.incrementAndGet();
    e.begin();
    if (tracing != null) {
      // The client interceptor sends the gateway's own span context in place of the caller's.
      headers.removeAll(TRACEPARENT);
      headers.removeAll(TRACESTATE);
    }
    synchronized (call) {
      clientCall.start(call.upstreamListener, headers);
      serverCall.request(1);
      clientCall.request(1);
    }
    return call.clientListener;
  }

  /** One proxied call: relays both ways under one lock (ServerCall and ClientCall are not thread-safe). */
  private final class ProxiedCall {
    final ServerCall<byte[], byte[]> serverCall;
    final ClientCall<byte[], byte[]> clientCall;
    final Endpoint endpoint;
    final String service;
    final long startNanos = System.nanoTime();
    boolean waitingClientMessage; // a client message is wanted once the upstream is ready
    boolean waitingUpstreamMessage; // an upstream message is wanted once the client is ready
    boolean done;

    ProxiedCall(ServerCall<byte[], byte[]> serverCall, ClientCall<byte[], byte[]> clientCall, Endpoint endpoint,
        String service) {
      this.serverCall = serverCall;
      this.clientCall = clientCall;
      this.endpoint = endpoint;
      this.service = service;
    }

    final ServerCall.Listener<byte[]> clientListener = new ServerCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        synchronized (ProxiedCall.this) {
          clientCall.sendMessage(message);
          if (clientCall.isReady()) {
            serverCall.request(1);
          } else {
            waitingClientMessage = true;
          }
        }
      }

      @Override
      public void onHalfClose() {
        synchronized (ProxiedCall.this) {
          clientCall.halfClose();
        }
      }

      @Override
      public void onCancel() {
        synchronized (ProxiedCall.this) {
          clientCall.cancel("the client cancelled the call", null);
        }
      }

      @Override
      public void onReady() {
        synchronized (ProxiedCall.this) {
          if (waitingUpstreamMessage && serverCall.isReady()) {
            waitingUpstreamMessage = false;
            clientCall.request(1);
          }
        }
      }
    };

    final ClientCall.Listener<byte[]> upstreamListener = new ClientCall.Listener<>() {
      @Override
      public void onHeaders(Metadata headers) {
        synchronized (ProxiedCall.this) {
          serverCall.sendHeaders(headers);
        }
      }

      @Override
      public void onMessage(byte[] message) {
        synchronized (ProxiedCall.this) {
          serverCall.sendMessage(message);
          if (serverCall.isReady()) {
            clientCall.request(1);
          } else {
            waitingUpstreamMessage = true;
          }
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        synchronized (ProxiedCall.this) {
          if (done) {
            return;
          }
          done = true;
          try {
            serverCall.close(status, trailers);
          } catch (IllegalStateException alreadyClosed) {
            // the client cancelled first: nothing to tell it
          }
        }
        finish(status);
      }

      @Override
      public void onReady() {
        synchronized (ProxiedCall.this) {
          if (waitingClientMessage && clientCall.isReady()) {
            waitingClientMessage = false;
            serverCall.request(1);
          }
        }
      }
    };

    private void finish(Status status) {
      long nanos = System.nanoTime() - startNanos;
      Status.Code c = status.getCode();
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
        if (g.onFailure(nanos, status.asException())) {
          observer.ejected(service);
        }
      } else {
        g.onSuccess(nanos);
      }
      stats.record(service, endpoint.version(), nanos, error);
      observer.attemptFinished(service, nanos);
      observer.requestFinished(service, endpoint.version(), ProxyObserver.grpcStatusCode(c), nanos);
    }
  }
}
