package dev.vertice.client;

import dev.vertice.client.internal.ControlPlaneChannels;
import dev.vertice.client.internal.ControlPlaneConnection;
import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.InsecureChannelCredentials;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code ConnectionBuilder} holds the settings every client builder shares: which control plane to
 * talk to (addresses or ready-made channels), the reconnect backoff, the scheduler of timers and
 * the source of jitter. Not thread-safe.
 *
 * <p>Package-private on purpose: its setters appear on {@link RegistryClient.Builder} and {@link
 * WatchClient.Builder}, which return themselves ({@code B}) so that calls chain.
 *
 * @param <B> the concrete builder
 */
abstract class ConnectionBuilder<B extends ConnectionBuilder<B>> {

  private ControlPlaneAddresses addresses;
  private List<? extends Channel> channels;
  private BackoffConfig backoff = BackoffConfig.ofDefaults();
  private ScheduledExecutorService scheduler;
  private Random random = new Random();
  private ChannelCredentials channelCredentials = InsecureChannelCredentials.create();
  private CallCredentials callCredentials;
  private List<ClientInterceptor> interceptors = List.of();

  ConnectionBuilder() {}

  /** {@code self} returns this builder as its concrete type. */
  abstract B self();

  /**
   * {@code controlPlane} sets the control-plane replicas as a comma-separated {@code host:port}
   * list; the client builds (and owns) a channel to each, secured by {@link #channelCredentials}.
   *
   * @throws IllegalArgumentException when the list is malformed
   */
  public B controlPlane(String commaSeparated) {
    return controlPlane(ControlPlaneAddresses.parse(commaSeparated));
  }

  /** {@code controlPlane} sets the control-plane replicas as {@code host:port} strings. */
  public B controlPlane(List<String> addresses) {
    return controlPlane(new ControlPlaneAddresses(addresses));
  }

  /** {@code controlPlane} sets the control-plane replicas. */
  public B controlPlane(ControlPlaneAddresses addresses) {
    this.addresses = Objects.requireNonNull(addresses, "addresses");
    return self();
  }

  /**
   * {@code channels} sets ready-made channels, one per replica, tried in order (for example
   * in-process channels in tests). The client borrows them: its {@code close()} leaves them open.
   */
  public B channels(List<? extends Channel> channels) {
    this.channels = List.copyOf(channels);
    return self();
  }

  /** {@code channel} is {@link #channels(List)} with one channel. */
  public B channel(Channel channel) {
    return channels(List.of(channel));
  }

  /** {@code backoff} sets the reconnect backoff (default {@link BackoffConfig#ofDefaults()}). */
  public B backoff(BackoffConfig v) {
    this.backoff = Objects.requireNonNull(v, "backoff");
    return self();
  }

  /**
   * {@code scheduler} sets the scheduler the client's timers run on: reconnects, and a registry
   * client's pings and re-registration retries (default: a daemon thread owned and shut down by
   * the client). A borrowed scheduler is not shut down.
   */
  public B scheduler(ScheduledExecutorService v) {
    this.scheduler = Objects.requireNonNull(v, "scheduler");
    return self();
  }

  /**
   * {@code channelCredentials} secures the channels the client builds from {@link
   * #controlPlane(String) addresses} (default: plaintext). Ignored for ready-made {@link
   * #channels(List) channels}, which carry their own.
   *
   * <p>For a control plane started with {@code --tls-cert}/{@code --tls-key}, pass the credentials of
   * {@code dev.vertice.security.tls.ReloadingTls} (module {@code vertice-security}), whose PEM files
   * are re-read when they change, so rotated certificates serve new connections without a restart:
   *
   * <pre>{@code
   * ReloadingTls tls = ReloadingTls.forClient(TlsSettings.client(Path.of("ca.pem"))
   *     .withIdentity(Path.of("client.pem"), Path.of("client.key")));   // mutual TLS only
   * RegistryClient registry = RegistryClient.builder().controlPlane("cp-1:7700,cp-2:7700")
   *     .channelCredentials(tls.channelCredentials()).build();
   * }</pre>
   *
   * <p>grpc-java's {@code TlsChannelCredentials.newBuilder().trustManager(caFile)} works too, read
   * once. The server's certificate must name the host given in the address (DNS or IP SAN). A
   * plaintext client of a TLS control plane fails its calls with UNAVAILABLE.
   */
  public B channelCredentials(ChannelCredentials v) {
    this.channelCredentials = Objects.requireNonNull(v, "channelCredentials");
    return self();
  }

  /**
   * {@code callCredentials} attaches credentials to every call, for example a bearer token (default:
   * none). gRPC sends them only over secure channels, or over in-process ones in tests.
   */
  public B callCredentials(CallCredentials v) {
    this.callCredentials = Objects.requireNonNull(v, "callCredentials");
    return self();
  }

  /**
   * {@code interceptors} sets interceptors around every call the client makes (tracing, metrics), the
   * first listed seeing a call first (default: none).
   */
  public B interceptors(List<? extends ClientInterceptor> v) {
    this.interceptors = List.copyOf(v);
    return self();
  }

  /** {@code random} sets the source of backoff jitter (default: an unseeded {@link Random}). */
  public B random(Random v) {
    this.random = Objects.requireNonNull(v, "random");
    return self();
  }

  /**
   * {@code connect} turns the settings into a connection; channels built from addresses accept
   * responses of up to {@code maxInboundMessageBytes} and connect lazily, on their first call.
   *
   * @throws IllegalStateException when neither or both of addresses and channels are set
   */
  ControlPlaneConnection connect(String timerThreadName, int maxInboundMessageBytes) {
    if ((addresses == null) == (channels == null)) {
      throw new IllegalStateException("set exactly one of controlPlane(...) and channels(...)");
    }
    ControlPlaneChannels replicas = addresses != null
        ? ControlPlaneChannels.forAddresses(addresses, maxInboundMessageBytes, channelCredentials)
        : ControlPlaneChannels.forChannels(channels);
    replicas = replicas.withInterceptors(interceptors, callCredentials);
    return new ControlPlaneConnection(replicas, scheduler, timerThreadName, backoff, random);
  }
}
