package dev.vertice.client;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.discovery.v1.ErrorDetail;
import dev.vertice.api.discovery.v1.Node;
import dev.vertice.api.discovery.v1.Resource;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.client.internal.ControlPlaneChannels;
import dev.vertice.client.internal.ControlPlaneConnection;
import dev.vertice.client.internal.SerialExecutor;
import dev.vertice.common.ResourceTypes;
import dev.vertice.common.ServiceNames;
import dev.vertice.common.Threads;
import dev.vertice.common.Ticker;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

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
 */
public final class WatchClient implements AutoCloseable {

  private static final Logger log = Logger.getLogger(WatchClient.class.getName());

  /** Node kind sent when none is configured. */
  public static final String DEFAULT_NODE_KIND = "client";
  /** Largest response accepted on channels the client builds: 16 MiB. */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 16 << 20;

  /** google.rpc.Code.INVALID_ARGUMENT, sent in the error_detail of a NACK. */
  private static final int INVALID_ARGUMENT = 3;

  private final ControlPlaneConnection connection;
  private final ControlPlaneChannels channels;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService ownedListenerExecutor;
  private final Executor listenerExecutor;
  private final Ticker ticker;
  private final Node node;
  private final ConcurrentHashMap<String, ServiceSnapshot> cache = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TrafficPolicySnapshot> policyCache = new ConcurrentHashMap<>();
  private final boolean watchPolicies;
  private final CopyOnWriteArrayList<ServiceListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong responses = new AtomicLong();
  private final AtomicLong nacks = new AtomicLong();

  private final Object lock = new Object();
  // guarded by lock
  private final Backoff backoff;
  private final Set<String> explicit = new LinkedHashSet<>();
  private final Set<String> absent = new HashSet<>();
  private final Map<String, List<CompletableFuture<Optional<ServiceSnapshot>>>> waiters = new HashMap<>();
  private boolean wildcard;
  private WatchStream stream;
  private ScheduledFuture<?> reconnectTask;
  private boolean closed;

  private volatile boolean connected;
  private volatile boolean synced;
  private volatile int connectedIndex = -1;
  /** When the last stream that was in sync ended (or the client was created, before its first sync). */
  private volatile long lostAtNanos;
  private volatile long lastResponseNanos;
  private volatile boolean anyResponse;

  private WatchClient(Builder b) {
    this.connection = b.connect("vertice-watch-timer", b.maxInboundMessageBytes);
    this.channels = connection.channels();
    this.scheduler = connection.scheduler();
    this.ticker = b.ticker;
    if (b.listenerExecutor == null) {
      this.ownedListenerExecutor = Executors.newSingleThreadExecutor(Threads.daemon("vertice-watch-listeners"));
      this.listenerExecutor = new SerialExecutor(ownedListenerExecutor);
    } else {
      this.ownedListenerExecutor = null;
      this.listenerExecutor = new SerialExecutor(b.listenerExecutor);
    }
    this.backoff = connection.newBackoff();
    this.node = Node.newBuilder().setId(b.nodeId).setKind(b.nodeKind).setZone(b.zone).build();
    this.lostAtNanos = ticker.nanoTime();
    this.watchPolicies = b.watchPolicies;
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
      if (explicit.add(name)) {
        sendLocked(request().addSubscribe(name));
        sendPolicyLocked(policyRequest().addSubscribe(name));
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
      if (!wildcard) {
        wildcard = true;
        sendLocked(request().addSubscribe(ResourceTypes.WILDCARD));
        sendPolicyLocked(policyRequest().addSubscribe(ResourceTypes.WILDCARD));
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
      if (closed || !explicit.remove(name)) {
        return;
      }
      absent.remove(name);
      sendLocked(request().addUnsubscribe(name));
      sendPolicyLocked(policyRequest().addUnsubscribe(name));
      List<Change> changes = new ArrayList<>();
      if (!wildcard && cache.remove(name) != null) {
        changes.add(Change.removed(name));
      }
      if (!wildcard && policyCache.remove(name) != null) {
        changes.add(Change.policyRemoved(name));
      }
      dispatchLocked(changes);
    }
  }

  /**
   * {@code unsubscribeAll} ends the subscription to every service; services subscribed by name
   * stay. The others leave the cache and listeners get {@link ServiceListener#onRemoved}.
   */
  public void unsubscribeAll() {
    synchronized (lock) {
      if (closed || !wildcard) {
        return;
      }
      wildcard = false;
      sendLocked(request().addUnsubscribe(ResourceTypes.WILDCARD));
      sendPolicyLocked(policyRequest().addUnsubscribe(ResourceTypes.WILDCARD));
      List<Change> changes = new ArrayList<>();
      for (String name : List.copyOf(cache.keySet())) {
        if (!explicit.contains(name) && cache.remove(name) != null) {
          changes.add(Change.removed(name));
        }
      }
      for (String name : List.copyOf(policyCache.keySet())) {
        if (!explicit.contains(name) && policyCache.remove(name) != null) {
          changes.add(Change.policyRemoved(name));
        }
      }
      dispatchLocked(changes);
    }
  }

  /**
   * {@code get} returns the cached snapshot of {@code service} (any accepted spelling), or empty
   * when the client holds none (not subscribed, not answered yet, or the service has no
   * instances). Lock-free; never waits on the network.
   */
  public Optional<ServiceSnapshot> get(String service) {
    ServiceSnapshot s = service == null ? null : cache.get(service);
    if (s == null && service != null && !ServiceNames.isCanonical(service)) {
      s = ServiceNames.normalize(service).map(cache::get).orElse(null);
    }
    return Optional.ofNullable(s);
  }

  /**
   * {@code policy} returns the cached traffic policy of {@code service} (any accepted spelling), or
   * empty when the client holds none (policies not watched, or the service has no split).
   * Lock-free.
   */
  public Optional<TrafficPolicySnapshot> policy(String service) {
    TrafficPolicySnapshot p = service == null ? null : policyCache.get(service);
    if (p == null && service != null && !ServiceNames.isCanonical(service)) {
      p = ServiceNames.normalize(service).map(policyCache::get).orElse(null);
    }
    return Optional.ofNullable(p);
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
    return Map.copyOf(policyCache);
  }

  /** {@code snapshots} returns an immutable copy of the whole cache, keyed by service name. */
  public Map<String, ServiceSnapshot> snapshots() {
    return Map.copyOf(cache);
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
      ServiceSnapshot held = cache.get(name);
      if (held != null) {
        return Optional.of(held);
      }
      if (absent.contains(name)) {
        return Optional.empty();
      }
      waiters.computeIfAbsent(name, n -> new ArrayList<>()).add(answer);
      // Explicitly, even under a wildcard: only a named subscription is answered when absent.
      if (explicit.add(name)) {
        sendLocked(request().addSubscribe(name));
        sendPolicyLocked(policyRequest().addSubscribe(name));
      }
    }
    try {
      return answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException | InterruptedException e) {
      forgetWaiter(name, answer);
      if (e instanceof TimeoutException) {
        throw new TimeoutException("no answer for service '" + name + "' within " + timeout
            + (connected ? "" : " (not connected to the control plane)"));
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
      listeners.add(listener);
      List<Change> replay = new ArrayList<>();
      for (ServiceSnapshot s : cache.values()) {
        replay.add(Change.updated(s));
      }
      for (String name : absent) {
        replay.add(Change.removed(name));
      }
      for (TrafficPolicySnapshot p : policyCache.values()) {
        replay.add(Change.policyUpdated(p));
      }
      if (!replay.isEmpty()) {
        List<ServiceListener> only = List.of(listener);
        listenerExecutor.execute(() -> deliver(only, replay));
      }
    }
  }

  /** {@code removeListener} unregisters {@code listener}; notifications already queued may still arrive. */
  public void removeListener(ServiceListener listener) {
    listeners.remove(listener);
  }

  /**
   * {@code isConnected} returns whether a Watch stream to a control plane is established (from the
   * moment the transport accepted it until it fails), whether or not it has answered yet; see
   * {@link #isSynced()} for whether the cache is current.
   */
  public boolean isConnected() {
    return connected;
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
    return synced;
  }

  /**
   * {@code staleness} returns how out of date the cache may be: zero while {@link #isSynced()
   * synced}; otherwise the time since the last stream that was in sync was lost (or since the
   * client was created, before its first sync), measured with the injected {@link Ticker}. A
   * reconnect does not end staleness; the first response on the new stream does.
   */
  public Duration staleness() {
    if (synced) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(Math.max(0, ticker.nanoTime() - lostAtNanos));
  }

  /**
   * {@code lastResponseNanos} returns the {@link Ticker} reading when the last response was
   * received (applied or NACKed), or empty before the first one.
   */
  public OptionalLong lastResponseNanos() {
    return anyResponse ? OptionalLong.of(lastResponseNanos) : OptionalLong.empty();
  }

  /**
   * {@code connectedTo} returns the control plane the stream is established with (its {@code
   * host:port}, or {@code channel[i]:authority} for the i-th ready-made channel), or empty while
   * disconnected.
   */
  public Optional<String> connectedTo() {
    int index = connectedIndex;
    return connected && index >= 0 ? Optional.of(channels.label(index)) : Optional.empty();
  }

  /** {@code responsesReceived} returns the number of responses received since creation. */
  public long responsesReceived() {
    return responses.get();
  }

  /** {@code nacksSent} returns the number of responses rejected since creation. */
  public long nacksSent() {
    return nacks.get();
  }

  /**
   * {@code close} ends the stream, stops reconnecting and releases owned channels and threads.
   * The cache stays readable. Pending {@link #awaitService} calls fail. Idempotent.
   */
  @Override
  public void close() {
    List<CompletableFuture<Optional<ServiceSnapshot>>> pending = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      if (reconnectTask != null) {
        reconnectTask.cancel(false);
        reconnectTask = null;
      }
      WatchStream s = stream;
      stream = null;
      markDisconnectedLocked();
      if (s != null) {
        s.halfClose();
      }
      waiters.values().forEach(pending::addAll);
      waiters.clear();
    }
    IllegalStateException closedError = new IllegalStateException("the watch client was closed");
    pending.forEach(f -> f.completeExceptionally(closedError));
    connection.close();
    if (ownedListenerExecutor != null) {
      ownedListenerExecutor.shutdown();
    }
  }

  // --- stream lifecycle, all under lock ---

  private void start() {
    synchronized (lock) {
      openStreamLocked();
    }
  }

  private void openStreamLocked() {
    WatchRequest.Builder first = request().setNode(node);
    if (wildcard) {
      first.addSubscribe(ResourceTypes.WILDCARD);
    }
    first.addAllSubscribe(explicit);
    // Resume: the server sends only resources whose version differs from these.
    for (ServiceSnapshot held : cache.values()) {
      first.putInitialResourceVersions(held.service(), held.version());
    }
    int index = channels.current();
    channels.prepare(index);
    // A request that subscribes to nothing and holds nothing is not answered: nothing to wait for.
    WatchRequest.Builder policyFirst = null;
    if (watchPolicies) {
      policyFirst = policyRequest();
      if (wildcard) {
        policyFirst.addSubscribe(ResourceTypes.WILDCARD);
      }
      policyFirst.addAllSubscribe(explicit);
      for (TrafficPolicySnapshot held : policyCache.values()) {
        policyFirst.putInitialResourceVersions(held.service(), held.version());
      }
    }
    WatchStream s = new WatchStream(index,
        first.getSubscribeCount() > 0 || first.getInitialResourceVersionsCount() > 0,
        policyFirst != null
            && (policyFirst.getSubscribeCount() > 0 || policyFirst.getInitialResourceVersionsCount() > 0));
    stream = s;
    DiscoveryServiceGrpc.newStub(channels.channel(index)).watch(s);
    if (stream != s) {
      return; // the call failed at once (a direct executor delivered the failure inline)
    }
    s.send(first.build());
    if (policyFirst != null) {
      s.send(policyFirst.build());
    }
  }

  private void onReady(WatchStream s) {
    synchronized (lock) {
      if (s == stream && !closed) {
        markConnectedLocked(s);
        if (!s.answerAwaited && !s.policiesAwaited) {
          markSyncedLocked(s);
        }
      }
    }
  }

  private void onStreamFailed(WatchStream s, Status status) {
    synchronized (lock) {
      if (s != stream || closed) {
        return;
      }
      stream = null;
      channels.failed(s.index);
      long delay = backoff.nextDelayNanos();
      reconnectTask = scheduler.schedule(this::reconnect, delay, TimeUnit.NANOSECONDS);
      // Published last: whoever sees "disconnected" also sees the reconnect armed.
      markDisconnectedLocked();
      log.log(s.established ? Level.INFO : Level.FINE, () -> "watch stream to " + channels.label(s.index)
          + " ended: " + status + "; serving the cached state and reconnecting to "
          + channels.label(channels.current()) + " in " + TimeUnit.NANOSECONDS.toMillis(delay) + " ms");
    }
  }

  private void reconnect() {
    synchronized (lock) {
      reconnectTask = null;
      if (!closed && stream == null) {
        openStreamLocked();
      }
    }
  }

  private void markConnectedLocked(WatchStream s) {
    if (!s.established) {
      s.established = true;
      connectedIndex = s.index;
      connected = true;
    }
  }

  /** The first response on {@code s} arrived: the cache holds what the control plane holds. */
  private void markSyncedLocked(WatchStream s) {
    if (!s.synced) {
      s.synced = true;
      synced = true;
      // Only an answer proves the replica works: a stream accepted and then failed keeps backing off.
      backoff.reset();
    }
  }

  private void markDisconnectedLocked() {
    if (synced) {
      // Written before the flags: a reader that sees "not synced" sees when the sync was lost.
      lostAtNanos = ticker.nanoTime();
      synced = false;
    }
    connected = false;
  }

  // --- responses ---

  private void onResponse(WatchStream s, WatchResponse response) {
    synchronized (lock) {
      if (s != stream || closed) {
        return;
      }
      markConnectedLocked(s);
      lastResponseNanos = ticker.nanoTime();
      anyResponse = true;
      responses.incrementAndGet();
      if (watchPolicies && ResourceTypes.TRAFFIC_POLICY.equals(response.getTypeUrl())) {
        onPolicyResponseLocked(s, response);
        return;
      }
      s.endpointsAnswered = true;

      List<ServiceSnapshot> decoded = new ArrayList<>(response.getResourcesCount());
      String problem = decode(response, decoded);
      if (problem != null) {
        nacks.incrementAndGet();
        log.warning(() -> "rejecting watch response " + response.getNonce() + " from " + channels.label(s.index)
            + " (keeping the previous state): " + problem);
        markAnsweredLocked(s); // before the NACK: whoever sees the NACK sees the client synced
        s.send(request()
            .setResponseNonce(response.getNonce())
            .setErrorDetail(ErrorDetail.newBuilder().setCode(INVALID_ARGUMENT).setMessage(problem))
            .build());
        return;
      }
      // Synced before the cache changes and before the ACK: whoever sees either sees the client synced.
      markAnsweredLocked(s);
      dispatchLocked(applyLocked(decoded, response.getRemovedResourcesList()));
      // Every response is ACKed, an empty one (the answer to a subscription that brought nothing new) too.
      s.send(request().setResponseNonce(response.getNonce()).build());
    }
  }

  /** A type answered on {@code s}: the stream is in sync once every awaited type has answered. */
  private void markAnsweredLocked(WatchStream s) {
    if ((s.endpointsAnswered || !s.answerAwaited) && (s.policiesAnswered || !s.policiesAwaited)) {
      markSyncedLocked(s);
    }
  }

  /** Applies (or NACKs) a response of TrafficPolicy resources. */
  private void onPolicyResponseLocked(WatchStream s, WatchResponse response) {
    s.policiesAnswered = true;
    List<TrafficPolicySnapshot> decoded = new ArrayList<>(response.getResourcesCount());
    String problem = decodePolicies(response, decoded);
    if (problem != null) {
      nacks.incrementAndGet();
      log.warning(() -> "rejecting traffic-policy response " + response.getNonce() + " from "
          + channels.label(s.index) + " (keeping the previous policies): " + problem);
      markAnsweredLocked(s);
      s.send(policyRequest()
          .setResponseNonce(response.getNonce())
          .setErrorDetail(ErrorDetail.newBuilder().setCode(INVALID_ARGUMENT).setMessage(problem))
          .build());
      return;
    }
    markAnsweredLocked(s);
    List<Change> changes = new ArrayList<>();
    for (TrafficPolicySnapshot p : decoded) {
      if (!wildcard && !explicit.contains(p.service())) {
        continue;
      }
      TrafficPolicySnapshot old = policyCache.put(p.service(), p);
      if (old == null || !old.equals(p)) {
        changes.add(Change.policyUpdated(p));
      }
    }
    for (String name : response.getRemovedResourcesList()) {
      if (policyCache.remove(name) != null) {
        changes.add(Change.policyRemoved(name));
      }
    }
    dispatchLocked(changes);
    s.send(policyRequest().setResponseNonce(response.getNonce()).build());
  }

  /** Unpacks and checks every TrafficPolicy; returns why the response is unacceptable, or null. */
  private static String decodePolicies(WatchResponse response, List<TrafficPolicySnapshot> out) {
    Set<String> seen = new HashSet<>();
    for (Resource r : response.getResourcesList()) {
      String name = r.getName();
      if (!ServiceNames.isCanonical(name)) {
        return "policy name '" + clip(name) + "' is not a canonical service name";
      }
      if (!seen.add(name)) {
        return "policy '" + name + "' appears twice";
      }
      if (r.getVersion().isEmpty()) {
        return "policy '" + name + "' has no version";
      }
      TrafficPolicy policy;
      try {
        policy = r.getResource().unpack(TrafficPolicy.class);
      } catch (InvalidProtocolBufferException e) {
        return "resource '" + name + "' is not a vertice.discovery.v1.TrafficPolicy (type_url '"
            + clip(r.getResource().getTypeUrl()) + "'): " + e.getMessage();
      }
      if (!name.equals(policy.getService())) {
        return "policy '" + name + "' is for service '" + clip(policy.getService()) + "'";
      }
      Set<String> versions = new HashSet<>();
      List<TrafficPolicySnapshot.Subset> subsets = new ArrayList<>();
      for (Subset sub : policy.getSubsetsList()) {
        if (sub.getVersion().isEmpty() || !versions.add(sub.getVersion())) {
          return "policy '" + name + "' has an empty or repeated subset version '" + clip(sub.getVersion()) + "'";
        }
        if (Integer.compareUnsigned(sub.getWeight(), 100) > 0) {
          return "policy '" + name + "' subset '" + clip(sub.getVersion()) + "' has weight "
              + Integer.toUnsignedString(sub.getWeight()) + " outside 0..100";
        }
        subsets.add(new TrafficPolicySnapshot.Subset(sub.getVersion(), sub.getWeight()));
      }
      out.add(new TrafficPolicySnapshot(name, r.getVersion(), subsets, policy.getRolloutId()));
    }
    for (String name : response.getRemovedResourcesList()) {
      if (!ServiceNames.isCanonical(name)) {
        return "removed policy name '" + clip(name) + "' is not a canonical service name";
      }
      if (seen.contains(name)) {
        return "policy '" + name + "' is both changed and removed";
      }
    }
    return null;
  }

  /**
   * Applies a decoded response to the cache and answers the waiters it concerns; returns the
   * changes listeners should see. Services no longer subscribed are skipped: the response may have
   * been in flight when they were unsubscribed.
   */
  private List<Change> applyLocked(List<ServiceSnapshot> changed, List<String> removed) {
    List<Change> changes = new ArrayList<>();
    for (ServiceSnapshot snapshot : changed) {
      String name = snapshot.service();
      if (!wildcard && !explicit.contains(name)) {
        continue;
      }
      absent.remove(name);
      ServiceSnapshot old = cache.put(name, snapshot);
      if (old == null || !old.equals(snapshot)) {
        changes.add(Change.updated(snapshot));
      }
      complete(name, Optional.of(snapshot));
    }
    for (String name : removed) {
      boolean named = explicit.contains(name);
      if (!wildcard && !named) {
        continue;
      }
      ServiceSnapshot old = cache.remove(name);
      // Remembered as absent only when subscribed by name: awaitService and a new listener are told about those.
      boolean newlyAbsent = named && absent.add(name);
      if (old != null || newlyAbsent) {
        changes.add(Change.removed(name));
      }
      complete(name, Optional.empty());
    }
    return changes;
  }

  /** Unpacks and checks every resource; returns why the response is unacceptable, or null. */
  private static String decode(WatchResponse response, List<ServiceSnapshot> out) {
    if (!ResourceTypes.ENDPOINTS.equals(response.getTypeUrl())) {
      return "unexpected type_url '" + clip(response.getTypeUrl()) + "'; subscribed to " + ResourceTypes.ENDPOINTS;
    }
    Set<String> seen = new HashSet<>();
    for (Resource r : response.getResourcesList()) {
      String name = r.getName();
      if (!ServiceNames.isCanonical(name)) {
        return "resource name '" + clip(name) + "' is not a canonical service name";
      }
      if (!seen.add(name)) {
        return "resource '" + name + "' appears twice";
      }
      if (r.getVersion().isEmpty()) {
        return "resource '" + name + "' has no version";
      }
      Endpoints endpoints;
      try {
        endpoints = r.getResource().unpack(Endpoints.class);
      } catch (InvalidProtocolBufferException e) {
        return "resource '" + name + "' is not a vertice.discovery.v1.Endpoints (type_url '"
            + clip(r.getResource().getTypeUrl()) + "'): " + e.getMessage();
      }
      if (!name.equals(endpoints.getService())) {
        return "resource '" + name + "' holds endpoints of service '" + clip(endpoints.getService()) + "'";
      }
      for (Instance i : endpoints.getInstancesList()) {
        if (!name.equals(i.getService()) || i.getInstanceId().isEmpty() || i.getAddress().isEmpty()
            || i.getPort() < 1 || i.getPort() > 65535) {
          return "resource '" + name + "' has an invalid instance '" + clip(i.getInstanceId()) + "' (service '"
              + clip(i.getService()) + "', address '" + clip(i.getAddress()) + "', port " + i.getPort() + ")";
        }
      }
      out.add(new ServiceSnapshot(name, r.getVersion(), endpoints.getInstancesList()));
    }
    for (String name : response.getRemovedResourcesList()) {
      if (!ServiceNames.isCanonical(name)) {
        return "removed resource name '" + clip(name) + "' is not a canonical service name";
      }
      if (seen.contains(name)) {
        return "resource '" + name + "' is both changed and removed";
      }
    }
    return null;
  }

  private void complete(String name, Optional<ServiceSnapshot> answer) {
    List<CompletableFuture<Optional<ServiceSnapshot>>> list = waiters.remove(name);
    if (list != null) {
      // Completed under the lock: only blocked getters wait on these futures, no callbacks run here.
      list.forEach(f -> f.complete(answer));
    }
  }

  /** Drops a waiter that gave up (timed out or interrupted). */
  private void forgetWaiter(String name, CompletableFuture<Optional<ServiceSnapshot>> answer) {
    synchronized (lock) {
      List<CompletableFuture<Optional<ServiceSnapshot>>> list = waiters.get(name);
      if (list != null && list.remove(answer) && list.isEmpty()) {
        waiters.remove(name);
      }
    }
  }

  /** Caller holds lock, so that notifications are queued in the order the changes were applied. */
  private void dispatchLocked(List<Change> changes) {
    if (changes.isEmpty() || listeners.isEmpty()) {
      return;
    }
    List<ServiceListener> targets = List.copyOf(listeners);
    listenerExecutor.execute(() -> deliver(targets, changes));
  }

  private static void deliver(List<ServiceListener> targets, List<Change> changes) {
    for (Change c : changes) {
      for (ServiceListener l : targets) {
        try {
          if (c.snapshot() != null) {
            l.onUpdate(c.snapshot());
          } else if (c.removed() != null) {
            l.onRemoved(c.removed());
          } else if (c.policy() != null) {
            l.onPolicyUpdate(c.policy());
          } else {
            l.onPolicyRemoved(c.policyRemoved());
          }
        } catch (RuntimeException e) {
          log.log(Level.WARNING, "service listener " + l + " threw; continuing", e);
        }
      }
    }
  }

  /** A request of the one resource type the client watches. */
  private static WatchRequest.Builder request() {
    return WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS);
  }

  /** A request of the TrafficPolicy type. */
  private static WatchRequest.Builder policyRequest() {
    return WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY);
  }

  /** Sends a TrafficPolicy request when policies are watched. */
  private void sendPolicyLocked(WatchRequest.Builder request) {
    if (watchPolicies) {
      sendLocked(request);
    }
  }

  /** Sends {@code request} on the current stream; without one, the next stream's first request carries it. */
  private void sendLocked(WatchRequest.Builder request) {
    if (stream != null) {
      stream.send(request.build());
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

  private static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 61) + "...";
  }

  /** One change applied to the cache: an updated snapshot, or the name of a removed service. */
  private record Change(ServiceSnapshot snapshot, String removed, TrafficPolicySnapshot policy,
      String policyRemoved) {
    static Change updated(ServiceSnapshot s) {
      return new Change(s, null, null, null);
    }

    static Change removed(String name) {
      return new Change(null, name, null, null);
    }

    static Change policyUpdated(TrafficPolicySnapshot p) {
      return new Change(null, null, p, null);
    }

    static Change policyRemoved(String name) {
      return new Change(null, null, null, name);
    }
  }

  /** One Watch stream; its requests are sent under the client's lock, one at a time. */
  private final class WatchStream implements ClientResponseObserver<WatchRequest, WatchResponse> {
    final int index;
    /** Whether the first request subscribes or resumes, so that the server answers it. */
    final boolean answerAwaited;
    /** Whether a TrafficPolicy request subscribes or resumes, so that the server answers it too. */
    final boolean policiesAwaited;
    boolean established; // guarded by lock
    boolean synced; // guarded by lock
    boolean endpointsAnswered; // guarded by lock
    boolean policiesAnswered; // guarded by lock
    private ClientCallStreamObserver<WatchRequest> requests;

    WatchStream(int index, boolean answerAwaited, boolean policiesAwaited) {
      this.index = index;
      this.answerAwaited = answerAwaited;
      this.policiesAwaited = policiesAwaited;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.requests = requestStream;
      requestStream.setOnReadyHandler(() -> WatchClient.this.onReady(this));
    }

    void send(WatchRequest request) {
      requests.onNext(request);
    }

    void halfClose() {
      requests.onCompleted();
    }

    @Override
    public void onNext(WatchResponse response) {
      onResponse(this, response);
    }

    @Override
    public void onError(Throwable t) {
      onStreamFailed(this, Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      onStreamFailed(this, Status.UNAVAILABLE.withDescription("the control plane ended the watch stream"));
    }
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

    private Builder() {}

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
