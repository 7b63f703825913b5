package dev.vertice.controlplane.server;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code StreamsPerConnectionLimit} allows at most {@link #max()} concurrent calls (HTTP/2 streams)
 * per client connection: a call beyond it ends at once with RESOURCE_EXHAUSTED and a message saying
 * so, and changes nothing. A connection is told apart by its remote address. The server also
 * advertises a transport ceiling ({@code SETTINGS_MAX_CONCURRENT_STREAMS}) above this limit, so that
 * a client ignoring the answer cannot open streams without bound. Thread-safe; the map holds only
 * connections with calls running.
 */
public final class StreamsPerConnectionLimit implements ServerInterceptor {

  private final int max;
  private final ConcurrentHashMap<Object, AtomicInteger> active = new ConcurrentHashMap<>();

  /** Creates the limit of {@code max} concurrent calls per connection. */
  public StreamsPerConnectionLimit(int max) {
    if (max <= 0) {
      throw new IllegalArgumentException("max streams per connection must be positive: " + max);
    }
    this.max = max;
  }

  /** Returns the most concurrent calls per connection. */
  public int max() {
    return max;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    Object key = remote == null ? "unknown" : remote;
    AtomicInteger count = active.compute(key, (k, c) -> {
      AtomicInteger n = c == null ? new AtomicInteger() : c;
      n.incrementAndGet();
      return n;
    });
    if (count.get() > max) {
      release(key);
      call.close(Status.RESOURCE_EXHAUSTED.withDescription("this connection already carries " + max
          + " concurrent calls, the limit (--max-streams-per-connection); end one or open another connection"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable done = () -> {
      if (released.compareAndSet(false, true)) {
        release(key);
      }
    };
    ServerCall.Listener<ReqT> delegate;
    try {
      delegate = next.startCall(call, headers);
    } catch (RuntimeException e) {
      done.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          done.run();
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          done.run();
        }
      }
    };
  }

  private void release(Object key) {
    active.computeIfPresent(key, (k, c) -> c.decrementAndGet() <= 0 ? null : c);
  }

  /** Returns the number of connections with calls running (for tests). */
  int trackedConnections() {
    return active.size();
  }
}
