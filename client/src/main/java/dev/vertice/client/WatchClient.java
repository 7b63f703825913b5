package dev.vertice.client;

import dev.vertice.api.discovery.v1.Node;
import dev.vertice.client.internal.ControlPlaneConnection;
import dev.vertice.client.internal.EndpointsDecoder;
import dev.vertice.client.internal.ServiceCache;
import dev.vertice.client.internal.TrafficPolicyDecoder;
import dev.vertice.client.internal.WatchStreamClient;
import dev.vertice.client.internal.WatchStreamClient.WatchedType;
import dev.vertice.common.ResourceTypes;
import dev.vertice.common.ServiceNames;
import dev.vertice.common.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code WatchClient} keeps a local, push-fed cache of service endpoints: it holds one Watch
 * stream to the control plane, subscribes to services by name (or to all of them), and swaps in an
 * immutable {@link ServiceSnapshot} per service as changes are pushed.
 *
 * <p><b>Reads</b> ({@link #get}, {@link #snapshots}) are lock-free and never wait on the network:
 * the request path reads memory only. <b>Listeners</b> are called in order on one serializing
 * executor, never on a gRPC thread.
 *
 * <p><b>Protocol.</b> Each response is validated as a whole: if any resource cannot be unpacked
 * as {@code vertice.discovery.v1.Endpoints} or is inconsistent, the response is NACKed ({@code
 * error_detail.code} 3, INVALID_ARGUMENT) and the cache keeps its previous state; otherwise every
 * change and removal is applied and the response ACKed.
 *
 * <p><b>Failures.</b> When the stream fails (UNAVAILABLE, the server ending it, any error) the
 * client keeps serving its last state and reconnects after a jittered exponential {@link
 * BackoffConfig backoff}, to the next control-plane address. It resumes by sending the versions
 * it holds (opaque strings, compared by the server for equality only), so the server sends only
 * what differs. The server answers every subscribing request, with an empty response when the
 * client already holds everything: the first response on a stream therefore means the cache is in
 * sync again. {@link #isSynced()} and {@link #staleness()} say how fresh the cache is.
 *
 * <p><b>Traffic policies.</b> With {@link Builder#watchTrafficPolicies(boolean)} the client also
 * watches {@code vertice.discovery.v1.TrafficPolicy} resources on the same stream, for the same
 * subscription (by name or wildcard): {@link #policy} reads them, listeners get {@link
 * ServiceListener#onPolicyUpdate} and {@link ServiceListener#onPolicyRemoved}. The control plane
 * must serve that type (an older one ends the stream with INVALID_ARGUMENT). The cache is then in
 * sync once both types have answered.
 *
 * <p>Thread-safe. Time comes from the injected {@link Ticker} and timers run on the injected
 * scheduler, so tests can drive reconnects and staleness with a fake clock.
 *
 * <p>This class is the public face; the work is split as grpc-java splits its xDS client: the
 * stream protocol (subscribe, ACK/NACK by nonce, resume, reconnect with backoff) is {@code
 * internal.WatchStreamClient}, the cache and listener dispatch {@code internal.ServiceCache}, and
 * each resource type has its decoder ({@code internal.EndpointsDecoder}, {@code
 * internal.TrafficPolicyDecoder}). All three share this client's lock.
 */
public final class WatchClient implements AutoCloseable {

  /** Node kind sent when none is configured. */
  public static final String DEFAULT_NODE_KIND = "client";
  /** Largest response accepted on channels the client builds: 16 MiB. */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 16 << 20;

  private final ControlPlaneConnection connection;
  private final boolean watchPolicies;
  /** Shared with the cache and the stream client: one lock orders subscriptions, responses and notifications. */
  private final Object lock = new Object();
  private final ServiceCache cache;
  private final WatchStreamClient stream;
  private boolean closed; // guarded by lock

  private WatchClient(Builder b) {
    this.connection = b.connect("vertice-watch-timer", b.maxInboundMessageBytes);
    this.watchPolicies = b.watchPolicies;
    this.cache = new ServiceCache(b.listenerExecutor);
    List<WatchedType<?>> types = new ArrayList<>(2);
    types.add(new WatchedType<>(new EndpointsDecoder(), cache.endpointStore()));
    if (watchPolicies) {
      types.add(new WatchedType<>(new TrafficPolicyDecoder(), cache.policyStore()));
    }
    Node node = Node.newBuilder().setId(b.nodeId).setKind(b.nodeKind).setZone(b.zone).build();
    this.stream = new WatchStreamClient(connection, node, b.ticker, lock, cache, types);
    if (b.subscribeAll) {
      synchronized (lock) {
        cache.subscribeAllLocked(); // before the stream opens: its first request carries it
      }
    }
  }

  /** {@code builder} returns a builder; a control plane (addresses or channels) must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@code subscribe} adds {@code service} (any accepted spelling; it is normalised) to the
   * subscription. Idempotent; returns at once, the first answer arrives asynchronously.
   *
   * @throws IllegalArgumentException when the name has no canonical form
   * @throws IllegalStateException after {@link #close()}
   */
  public void subscribe(String service) {
    String name = canonical(service);
    synchronized (lock) {
      checkOpen();
      if (cache.subscribeLocked(name)) {
        stream.subscribeLocked(name);
      }
    }
  }

  /**
   * {@code subscribeAll} subscribes to every service ({@code "*"}), present and future. Idempotent.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  public void subscribeAll() {
    synchronized (lock) {
      checkOpen();
      if (cache.subscribeAllLocked()) {
        stream.subscribeLocked(ResourceTypes.WILDCARD);
      }
    }
  }

  /**
   * {@code unsubscribe} removes {@code service} from the subscription. Unless {@link
   * #subscribeAll()} still covers it, the service leaves the cache and listeners get {@link
   * ServiceListener#onRemoved}. Unknown names are ignored.
   *
   * @throws IllegalArgumentException when the name has no canonical form
   */
  public void unsubscribe(String service) {
    String name = canonical(service);
    synchronized (lock) {
      if (!closed && cache.unsubscribeLocked(name)) {
        stream.unsubscribeLocked(name);
      }
    }
  }

  /**
   * {@code unsubscribeAll} ends the subscription to every service; services subscribed by name
   * stay. The others leave the cache and listeners get {@link ServiceListener#onRemoved}.
   */
  public void unsubscribeAll() {
    synchronized (lock) {
      if (!closed && cache.unsubscribeAllLocked()) {
        stream.unsubscribeLocked(ResourceTypes.WILDCARD);
      }
    }
  }

  /**
   * {@code get} returns the cached snapshot of {@code service} (any accepted spelling), or empty
   * when the client holds none (not subscribed, not answered yet, or the service has no
   * instances). Lock-free; never waits on the network.
   */
  public Optional<ServiceSnapshot> get(String service) {
    return cache.get(service);
  }

  /**
   * {@code policy} returns the cached traffic policy of {@code service} (any accepted spelling), or
   * empty when the client holds none (policies not watched, or the service has no split).
   * Lock-free.
   */
  public Optional<TrafficPolicySnapshot> policy(String service) {
    return cache.policy(service);
  }

  /**
   * {@code watchesTrafficPolicies} returns whether the client was built with {@link
   * Builder#watchTrafficPolicies(boolean) watchTrafficPolicies(true)}: only then does it receive
   * traffic policies and call {@link ServiceListener#onPolicyUpdate}.
   */
  public boolean watchesTrafficPolicies() {
    return watchPolicies;
  }

  /** {@code policies} returns an immutable copy of the cached traffic policies, keyed by service name. */
  public Map<String, TrafficPolicySnapshot> policies() {
    return cache.policies();
  }

  /** {@code snapshots} returns an immutable copy of the whole cache, keyed by service name. */
  public Map<String, ServiceSnapshot> snapshots() {
    return cache.snapshots();
  }

  /**
   * {@code awaitService} subscribes to {@code service} if needed and waits until the control plane
   * has answered for it at least once: useful at start-up, before the first request. Returns the
   * snapshot, or empty when the control plane says the service has no instances. Returns at once
   * when the answer is already known. While the control plane is unreachable it waits the whole
   * {@code timeout}.
   *
   * @throws TimeoutException when no answer arrives within {@code timeout}
   * @throws InterruptedException when the waiting thread is interrupted
   * @throws IllegalStateException when the client is or gets closed
   */
  public Optional<ServiceSnapshot> awaitService(String service, Duration timeout)
      throws InterruptedException, TimeoutException {
    String name = canonical(service);
    CompletableFuture<Optional<ServiceSnapshot>> answer = new CompletableFuture<>();
    synchronized (lock) {
      checkOpen();
      Optional<ServiceSnapshot> held = cache.get(name);
      if (held.isPresent()) {
        return held;
      }
      if (cache.isAbsentLocked(name)) {
        return Optional.empty();
      }
      cache.awaitLocked(name, answer);
      // Explicitly, even under a wildcard: only a named subscription is answered when absent.
      if (cache.subscribeLocked(name)) {
        stream.subscribeLocked(name);
      }
    }
    try {
      return answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException | InterruptedException e) {
      synchronized (lock) {
        cache.forgetWaiterLocked(name, answer);
      }
      if (e instanceof TimeoutException) {
        throw new TimeoutException("no answer for service '" + name + "' within " + timeout
            + (stream.isConnected() ? "" : " (not connected to the control plane)"));
      }
      throw e;
    }
  }

  /**
   * {@code addListener} registers {@code listener} and first replays the current state to it:
   * {@code onUpdate} for every cached service and {@code onRemoved} for every service subscribed
   * by name that the control plane said does not exist. Later changes follow in order.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  public void addListener(ServiceListener listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (lock) {
      checkOpen();
      cache.addListenerLocked(listener);
    }
  }

  /** {@code removeListener} unregisters {@code listener}; notifications already queued may still arrive. */
  public void removeListener(ServiceListener listener) {
    cache.removeListener(listener);
  }

  /**
   * {@code isConnected} returns whether a Watch stream to a control plane is established (from the
   * moment the transport accepted it until it fails), whether or not it has answered yet; see
   * {@link #isSynced()} for whether the cache is current.
   */
  public boolean isConnected() {
    return stream.isConnected();
  }

  /**
   * {@code isSynced} returns whether the cache is in sync with a control plane: the current stream
   * has delivered its first response (the answer to the subscription, possibly empty when nothing
   * changed since the last stream) and has not failed since. A response the client rejected (NACK)
   * counts too: the server has nothing more to send until that resource changes. A stream opened
   * with no subscription and an empty cache awaits no answer: it is in sync once established.
   * Subscriptions added later do not affect it; {@link #awaitService} waits for their answers.
   */
  public boolean isSynced() {
    return stream.isSynced();
  }

  /**
   * {@code isSyncedAndApplied} is {@link #isSynced()} once the answers that brought the sync are in
   * the cache too: {@link #snapshots()} and {@link #policies()} read after it returned true hold
   * them. ({@code isSynced} turns true just before the last of those answers is applied, so that a
   * listener told of a change sees the client synced.) A readiness check wants this one.
   */
  public boolean isSyncedAndApplied() {
    return stream.isSyncApplied();
  }

  /**
   * {@code staleness} returns how out of date the cache may be: zero while {@link #isSynced()
   * synced}; otherwise the time since the last stream that was in sync was lost (or since the
   * client was created, before its first sync), measured with the injected {@link Ticker}. A
   * reconnect does not end staleness; the first response on the new stream does.
   */
  public Duration staleness() {
    return stream.staleness();
  }

  /**
   * {@code lastResponseNanos} returns the {@link Ticker} reading when the last response was
   * received (applied or NACKed), or empty before the first one.
   */
  public OptionalLong lastResponseNanos() {
    return stream.lastResponseNanos();
  }

  /**
   * {@code connectedTo} returns the control plane the stream is established with (its {@code
   * host:port}, or {@code channel[i]:authority} for the i-th ready-made channel), or empty while
   * disconnected.
   */
  public Optional<String> connectedTo() {
    return stream.connectedTo();
  }

  /** {@code responsesReceived} returns the number of responses received since creation. */
  public long responsesReceived() {
    return stream.responsesReceived();
  }

  /** {@code nacksSent} returns the number of responses rejected since creation. */
  public long nacksSent() {
    return stream.nacksSent();
  }

  /**
   * {@code close} ends the stream, stops reconnecting and releases owned channels and threads.
   * The cache stays readable. Pending {@link #awaitService} calls fail. Idempotent.
   */
  @Override
  public void close() {
    List<CompletableFuture<Optional<ServiceSnapshot>>> pending;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      stream.shutdownLocked();
      pending = cache.takeWaitersLocked();
    }
    IllegalStateException closedError = new IllegalStateException("the watch client was closed");
    pending.forEach(f -> f.completeExceptionally(closedError));
    connection.close();
    cache.close();
  }

  private void start() {
    synchronized (lock) {
      stream.startLocked();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the watch client is closed");
    }
  }

  private static String canonical(String service) {
    return ServiceNames.normalize(service).orElseThrow(() -> new IllegalArgumentException(
        "service '" + service + "' is not valid: " + ServiceNames.describeRule()));
  }

  /**
   * {@code Builder} configures a {@link WatchClient}; not thread-safe. Exactly one of {@link
   * #controlPlane(String)} (or its overloads) and {@link #channels(List)} must be set.
   */
  public static final class Builder extends ConnectionBuilder<Builder> {
    private String nodeId = defaultNodeId();
    private String nodeKind = DEFAULT_NODE_KIND;
    private String zone = "";
    private Ticker ticker = Ticker.system();
    private Executor listenerExecutor;
    private int maxInboundMessageBytes = DEFAULT_MAX_INBOUND_MESSAGE_BYTES;
    private boolean watchPolicies;
    private boolean subscribeAll;

    private Builder() {}

    /**
     * {@code subscribeAll} subscribes to every service from the start (default: false): the first
     * request of the stream carries the subscription, so {@link WatchClient#isSynced()} waits for
     * its answer. Subscribing after {@link #build()} does not: a stream established with nothing
     * to await is in sync at once.
     */
    public Builder subscribeAll(boolean v) {
      this.subscribeAll = v;
      return this;
    }

    /**
     * {@code watchTrafficPolicies} makes the client watch TrafficPolicy resources too, for the same
     * services as Endpoints (default: false; the control plane must serve the type).
     */
    public Builder watchTrafficPolicies(boolean v) {
      this.watchPolicies = v;
      return this;
    }

    @Override
    Builder self() {
      return this;
    }

    /** {@code nodeId} sets the identifier sent to the control plane (default: host name and pid). */
    public Builder nodeId(String v) {
      this.nodeId = requireText("nodeId", v);
      return this;
    }

    /**
     * {@code nodeKind} sets what kind of client this is: {@code "client"} (default), {@code
     * "gateway"}, {@code "sidecar"} or another short word; used in convergence metrics.
     */
    public Builder nodeKind(String v) {
      this.nodeKind = requireText("nodeKind", v);
      return this;
    }

    /** {@code zone} sets the client's zone (default: none). */
    public Builder zone(String v) {
      this.zone = Objects.requireNonNull(v, "zone");
      return this;
    }

    /** {@code ticker} sets the time source of staleness (default: {@link Ticker#system()}). */
    public Builder ticker(Ticker v) {
      this.ticker = Objects.requireNonNull(v, "ticker");
      return this;
    }

    /**
     * {@code listenerExecutor} sets where listeners run; calls are serialised on it whatever it is
     * (default: a daemon thread owned by the client).
     */
    public Builder listenerExecutor(Executor v) {
      this.listenerExecutor = Objects.requireNonNull(v, "listenerExecutor");
      return this;
    }

    /**
     * {@code maxInboundMessageBytes} sets the largest response accepted on the channels the client
     * builds (default 16 MiB); ignored for ready-made channels.
     *
     * @throws IllegalArgumentException when {@code v} is not positive
     */
    public Builder maxInboundMessageBytes(int v) {
      if (v <= 0) {
        throw new IllegalArgumentException("maxInboundMessageBytes must be positive: " + v);
      }
      this.maxInboundMessageBytes = v;
      return this;
    }

    /**
     * {@code build} creates the client and opens its Watch stream at once (subscriptions may
     * follow).
     *
     * @throws IllegalStateException when neither or both of addresses and channels are set
     */
    public WatchClient build() {
      WatchClient client = new WatchClient(this);
      client.start();
      return client;
    }

    private static String requireText(String what, String v) {
      if (v == null || v.isBlank()) {
        throw new IllegalArgumentException(what + " must not be empty: '" + v + "'");
      }
      return v;
    }

    private static String defaultNodeId() {
      String host = System.getenv("HOSTNAME");
      return (host == null || host.isBlank() ? "java" : host) + "-" + ProcessHandle.current().pid();
    }
  }
}
