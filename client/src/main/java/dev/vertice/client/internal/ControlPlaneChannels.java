package dev.vertice.client.internal;

import dev.vertice.client.ControlPlaneAddresses;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code ControlPlaneChannels} holds one channel per control-plane replica and which one is in
 * use. A failure on the current channel moves every caller on to the next one (wrapping around).
 *
 * <p>Channels built from {@link ControlPlaneAddresses} are Netty channels (plaintext unless channel
 * credentials say otherwise) owned (and shut down) by this object; channels handed in ready-made are
 * borrowed and left open. Calls go through the {@linkplain #withInterceptors interceptors} and call
 * credentials set on top of either kind. Thread-safe.
 */
public final class ControlPlaneChannels implements AutoCloseable {

  /** Interval of HTTP/2 keepalive pings on owned channels; the control plane permits 10 s or more. */
  static final long KEEPALIVE_SECONDS = 20;
  /** Time to wait for a keepalive ping's answer before the connection is considered dead. */
  static final long KEEPALIVE_TIMEOUT_SECONDS = 10;

  private final List<Channel> channels;
  private final List<Channel> views;
  private final List<String> labels;
  private final boolean owned;
  private final AtomicInteger current;

  private ControlPlaneChannels(List<Channel> channels, List<Channel> views, List<String> labels, boolean owned,
      AtomicInteger current) {
    this.channels = List.copyOf(channels);
    this.views = List.copyOf(views);
    this.labels = List.copyOf(labels);
    this.owned = owned;
    this.current = current;
  }

  private ControlPlaneChannels(List<Channel> channels, List<String> labels, boolean owned) {
    this(channels, channels, labels, owned, new AtomicInteger());
  }

  /**
   * {@code forAddresses} builds one channel per address secured by {@code credentials} (for example
   * {@code TlsChannelCredentials}). Channels connect lazily, on their first call.
   *
   * @param maxInboundMessageBytes the largest response accepted
   */
  public static ControlPlaneChannels forAddresses(ControlPlaneAddresses addresses, int maxInboundMessageBytes,
      ChannelCredentials credentials) {
    List<Channel> channels = new ArrayList<>();
    for (String address : addresses.addresses()) {
      // An explicit scheme: a host named like a registered scheme ("vertice") must still mean DNS.
      channels.add(NettyChannelBuilder.forTarget("dns:///" + address, credentials)
          .maxInboundMessageSize(maxInboundMessageBytes)
          .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
          .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .build());
    }
    return new ControlPlaneChannels(channels, addresses.addresses(), true);
  }

  /** {@code forChannels} borrows ready-made channels (for example in-process ones in tests). */
  public static ControlPlaneChannels forChannels(List<? extends Channel> channels) {
    if (channels.isEmpty()) {
      throw new IllegalArgumentException("at least one channel is required");
    }
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < channels.size(); i++) {
      labels.add("channel[" + i + "]:" + channels.get(i).authority());
    }
    return new ControlPlaneChannels(new ArrayList<>(channels), labels, false);
  }

  /**
   * {@code withInterceptors} returns a view of the same channels (same owner, same current replica)
   * whose calls carry {@code callCredentials} (when not null) and pass through {@code interceptors},
   * the first listed seeing a call first.
   */
  public ControlPlaneChannels withInterceptors(List<? extends ClientInterceptor> interceptors,
      CallCredentials callCredentials) {
    List<ClientInterceptor> all = new ArrayList<>(interceptors);
    if (callCredentials != null) {
      all.add(new ClientInterceptor() {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
          return next.newCall(method, options.withCallCredentials(callCredentials));
        }
      });
    }
    if (all.isEmpty()) {
      return this;
    }
    List<Channel> wrapped = new ArrayList<>();
    for (Channel c : views) {
      wrapped.add(ClientInterceptors.intercept(c, all));
    }
    return new ControlPlaneChannels(channels, wrapped, labels, owned, current);
  }

  /** {@code size} returns the number of replicas. */
  public int size() {
    return channels.size();
  }

  /** {@code current} returns the index of the replica in use. */
  public int current() {
    return current.get();
  }

  /** {@code channel} returns the channel of replica {@code index}. */
  public Channel channel(int index) {
    return views.get(index);
  }

  /**
   * {@code label} names replica {@code index}: its {@code host:port}, or for a ready-made channel
   * {@code channel[i]:authority}.
   */
  public String label(int index) {
    return labels.get(index);
  }

  /**
   * {@code failed} records that replica {@code index} failed and returns the replica to use next.
   * When another caller already moved on from {@code index}, its choice stands.
   */
  public int failed(int index) {
    int next = (index + 1) % channels.size();
    current.compareAndSet(index, next);
    return current.get();
  }

  /**
   * {@code prepare} readies replica {@code index} for a new attempt: a channel waiting out its own
   * reconnect backoff retries at once, since the caller paces attempts with its own backoff.
   */
  public void prepare(int index) {
    if (channels.get(index) instanceof ManagedChannel m) {
      m.resetConnectBackoff();
    }
  }

  /** {@code close} shuts down owned channels, waiting up to a second for them; borrowed ones stay open. */
  @Override
  public void close() {
    if (!owned) {
      return;
    }
    for (Channel c : channels) {
      ((ManagedChannel) c).shutdownNow();
    }
    for (Channel c : channels) {
      try {
        ((ManagedChannel) c).awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
