package dev.vertice.client.internal;

import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.ErrorDetail;
import dev.vertice.api.discovery.v1.Node;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.client.Backoff;
import dev.vertice.common.ResourceTypes;
import dev.vertice.common.Ticker;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code WatchStreamClient} speaks the Watch protocol with the control plane (as grpc-java's {@code
 * ControlPlaneClient} speaks ADS): it holds one stream at a time, sends the subscription of every
 * {@link WatchedType watched type} on it, ACKs or NACKs each response by nonce, and when the
 * stream fails reconnects after a jittered backoff to the next replica, resuming with the versions
 * the cache holds.
 *
 * <p>It owns the protocol state (the stream, the reconnect timer, whether the client is connected
 * and in sync, the response counters) and nothing of the resources: responses are decoded by each
 * type's {@link ResourceDecoder} and applied to its {@link ResourceStore}; the subscription is read
 * from the {@link ServiceCache}. It knows no resource type by name.
 *
 * <p>Methods ending in {@code Locked} must be called holding the watch client's lock; stream
 * callbacks take it. Getters of the state are lock-free.
 */
public final class WatchStreamClient {

  private static final Logger log = Logger.getLogger(WatchStreamClient.class.getName());

  /** google.rpc.Code.INVALID_ARGUMENT, sent in the error_detail of a NACK. */
  private static final int INVALID_ARGUMENT = 3;

  /**
   * {@code WatchedType} is one resource type watched on the stream: how its responses are decoded
   * and where they go.
   *
   * @param decoder reads the type's responses
   * @param store holds the type's resources
   * @param <T> the value one resource becomes
   */
  public record WatchedType<T>(ResourceDecoder<T> decoder, ResourceStore<T> store) {
    /** {@code WatchedType} checks that both parts are set. */
    public WatchedType {
      Objects.requireNonNull(decoder, "decoder");
      Objects.requireNonNull(store, "store");
    }
  }

  private final ControlPlaneChannels channels;
  private final ScheduledExecutorService scheduler;
  private final Ticker ticker;
  private final Node node;
  private final Object lock;
  private final ServiceCache cache;
  /** The watched types; the first is the primary one, whose first request carries the node. */
  private final List<WatchedType<?>> types;
  private final AtomicLong responses = new AtomicLong();
  private final AtomicLong nacks = new AtomicLong();

  // guarded by lock
  private final Backoff backoff;
  private Call stream;
  private ScheduledFuture<?> reconnectTask;
  private boolean shutdown;

  private volatile boolean connected;
  private volatile boolean synced;
  /**
   * {@link #synced}, set only once the cache holds the answers that brought it: {@code synced} turns
   * true just before the last of them is applied (so that whoever sees the cache change sees the
   * client synced), this just after (so that whoever sees it true and then reads the cache finds
   * them there: a readiness check needs that order).
   */
  private volatile boolean syncApplied;
  private volatile int connectedIndex = -1;
  /** When the last stream that was in sync ended (or the client was created, before its first sync). */
  private volatile long lostAtNanos;
  private volatile long lastResponseNanos;
  private volatile boolean anyResponse;

  /**
   * {@code WatchStreamClient} talks over {@code connection} as {@code node}, for the subscription
   * held by {@code cache}, about {@code types} (at least one; a response of a type not watched is
   * decoded, and rejected, by the first). It synchronizes on {@code lock}, the watch client's.
   */
  public WatchStreamClient(ControlPlaneConnection connection, Node node, Ticker ticker, Object lock,
      ServiceCache cache, List<WatchedType<?>> types) {
    this.channels = connection.channels();
    this.scheduler = connection.scheduler();
    this.backoff = connection.newBackoff();
    this.node = Objects.requireNonNull(node, "node");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.lock = Objects.requireNonNull(lock, "lock");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.types = List.copyOf(types);
    if (this.types.isEmpty()) {
      throw new IllegalArgumentException("watch at least one resource type");
    }
    this.lostAtNanos = ticker.nanoTime();
  }

  // --- requests, under lock ---

  /** {@code startLocked} opens the first stream. */
  public void startLocked() {
    openStreamLocked();
  }

  /**
   * {@code subscribeLocked} subscribes to {@code name} (or {@link ResourceTypes#WILDCARD}) for every
   * watched type; without a stream, the next stream's first requests carry it.
   */
  public void subscribeLocked(String name) {
    for (WatchedType<?> type : types) {
      sendLocked(request(type).addSubscribe(name));
    }
  }

  /** {@code unsubscribeLocked} ends the subscription to {@code name} for every watched type. */
  public void unsubscribeLocked(String name) {
    for (WatchedType<?> type : types) {
      sendLocked(request(type).addUnsubscribe(name));
    }
  }

  /** {@code shutdownLocked} stops reconnecting and ends the stream. Idempotent. */
  public void shutdownLocked() {
    shutdown = true;
    if (reconnectTask != null) {
      reconnectTask.cancel(false);
      reconnectTask = null;
    }
    Call s = stream;
    stream = null;
    markDisconnectedLocked();
    if (s != null) {
      s.halfClose();
    }
  }

  // --- state, lock-free ---

  /** {@code isConnected} returns whether a stream is established. */
  public boolean isConnected() {
    return connected;
  }

  /** {@code isSynced} returns whether the current stream answered every awaited type and has not failed. */
  public boolean isSynced() {
    return synced;
  }

  /**
   * {@code isSyncApplied} returns {@link #isSynced()} once the answers that brought the sync are in
   * the cache too: a reader that sees true and then reads the cache finds them.
   */
  public boolean isSyncApplied() {
    return syncApplied;
  }

  /** {@code staleness} returns zero while in sync, else the time since the last sync was lost. */
  public Duration staleness() {
    if (synced) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(Math.max(0, ticker.nanoTime() - lostAtNanos));
  }

  /** {@code lastResponseNanos} returns the ticker reading of the last response, or empty before one. */
  public OptionalLong lastResponseNanos() {
    return anyResponse ? OptionalLong.of(lastResponseNanos) : OptionalLong.empty();
  }

  /** {@code connectedTo} returns the label of the replica the stream is established with. */
  public Optional<String> connectedTo() {
    int index = connectedIndex;
    return connected && index >= 0 ? Optional.of(channels.label(index)) : Optional.empty();
  }

  /** {@code responsesReceived} returns the number of responses received. */
  public long responsesReceived() {
    return responses.get();
  }

  /** {@code nacksSent} returns the number of responses rejected. */
  public long nacksSent() {
    return nacks.get();
  }

  // --- stream lifecycle, under lock ---

  private void openStreamLocked() {
    List<WatchRequest> first = new ArrayList<>(types.size());
    boolean[] awaited = new boolean[types.size()];
    for (int t = 0; t < types.size(); t++) {
      WatchRequest.Builder r = request(types.get(t));
      if (t == 0) {
        r.setNode(node);
      }
      if (cache.subscribesAllLocked()) {
        r.addSubscribe(ResourceTypes.WILDCARD);
      }
      r.addAllSubscribe(cache.namesLocked());
      // Resume: the server sends only resources whose version differs from these.
      r.putAllInitialResourceVersions(types.get(t).store().heldVersionsLocked());
      // A request that subscribes to nothing and holds nothing is not answered: nothing to wait for.
      awaited[t] = r.getSubscribeCount() > 0 || r.getInitialResourceVersionsCount() > 0;
      first.add(r.build());
    }
    int index = channels.current();
    channels.prepare(index);
    Call s = new Call(index, awaited);
    stream = s;
    DiscoveryServiceGrpc.newStub(channels.channel(index)).watch(s);
    if (stream != s) {
      return; // the call failed at once (a direct executor delivered the failure inline)
    }
    first.forEach(s::send);
  }

  private void onReady(Call s) {
    synchronized (lock) {
      if (s == stream && !shutdown) {
        markConnectedLocked(s);
        markAnsweredLocked(s); // in sync at once when no type awaits an answer
        syncApplied = synced;
      }
    }
  }

  private void onStreamFailed(Call s, Status status) {
    synchronized (lock) {
      if (s != stream || shutdown) {
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
      if (!shutdown && stream == null) {
        openStreamLocked();
      }
    }
  }

  private void markConnectedLocked(Call s) {
    if (!s.established) {
      s.established = true;
      connectedIndex = s.index;
      connected = true;
    }
  }

  /** Every awaited type answered on {@code s}: the cache holds what the control plane holds. */
  private void markAnsweredLocked(Call s) {
    for (int t = 0; t < s.awaited.length; t++) {
      if (s.awaited[t] && !s.answered[t]) {
        return;
      }
    }
    if (!s.synced) {
      s.synced = true;
      synced = true;
      // Only an answer proves the replica works: a stream accepted and then failed keeps backing off.
      backoff.reset();
    }
  }

  private void markDisconnectedLocked() {
    syncApplied = false;
    if (synced) {
      // Written before the flags: a reader that sees "not synced" sees when the sync was lost.
      lostAtNanos = ticker.nanoTime();
      synced = false;
    }
    connected = false;
  }

  // --- responses ---

  private void onResponse(Call s, WatchResponse response) {
    synchronized (lock) {
      if (s != stream || shutdown) {
        return;
      }
      markConnectedLocked(s);
      lastResponseNanos = ticker.nanoTime();
      anyResponse = true;
      responses.incrementAndGet();
      int t = typeIndex(response.getTypeUrl());
      handleLocked(s, t, types.get(t), response);
    }
  }

  /** The watched type of {@code typeUrl}; an unknown type goes to the first, whose decoder rejects it. */
  private int typeIndex(String typeUrl) {
    for (int t = 0; t < types.size(); t++) {
      if (types.get(t).decoder().typeUrl().equals(typeUrl)) {
        return t;
      }
    }
    return 0;
  }

  /** Applies and ACKs, or NACKs, one response of {@code type}. */
  private <T> void handleLocked(Call s, int t, WatchedType<T> type, WatchResponse response) {
    s.answered[t] = true;
    ResourceDecoder.Decoded<T> decoded = type.decoder().decode(response);
    if (!decoded.isAccepted()) {
      nacks.incrementAndGet();
      log.warning(() -> "rejecting " + response.getTypeUrl() + " response " + response.getNonce() + " from "
          + channels.label(s.index) + " (keeping the previous state): " + decoded.problem());
      markAnsweredLocked(s); // before the NACK: whoever sees the NACK sees the client synced
      syncApplied = synced; // the cache keeps its state: it holds what the sync brought
      s.send(request(type)
          .setResponseNonce(response.getNonce())
          .setErrorDetail(ErrorDetail.newBuilder().setCode(INVALID_ARGUMENT).setMessage(decoded.problem()))
          .build());
      return;
    }
    // Synced before the cache changes and before the ACK: whoever sees either sees the client synced.
    markAnsweredLocked(s);
    type.store().applyLocked(decoded.changed(), decoded.removed());
    syncApplied = synced;
    // Every response is ACKed, an empty one (the answer to a subscription that brought nothing new) too.
    s.send(request(type).setResponseNonce(response.getNonce()).build());
  }

  private static WatchRequest.Builder request(WatchedType<?> type) {
    return WatchRequest.newBuilder().setTypeUrl(type.decoder().typeUrl());
  }

  /** Sends {@code request} on the current stream; without one, the next stream's first request carries it. */
  private void sendLocked(WatchRequest.Builder request) {
    if (stream != null) {
      stream.send(request.build());
    }
  }

  /** One Watch stream; its requests are sent under the lock, one at a time. */
  private final class Call implements ClientResponseObserver<WatchRequest, WatchResponse> {
    final int index;
    /** Per watched type: whether the first request subscribes or resumes, so that the server answers it. */
    final boolean[] awaited;
    final boolean[] answered; // guarded by lock
    boolean established; // guarded by lock
    boolean synced; // guarded by lock
    private ClientCallStreamObserver<WatchRequest> requests;

    Call(int index, boolean[] awaited) {
      this.index = index;
      this.awaited = awaited;
      this.answered = new boolean[awaited.length];
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.requests = requestStream;
      requestStream.setOnReadyHandler(() -> onReady(this));
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
}
