package dev.vertice.controlplane.push;

import dev.vertice.common.ResourceTypes;
import dev.vertice.common.Ticker;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code PushEngine} pushes resource changes to subscribers as fast as each one can take them.
 *
 * <p>The owner of the facts reports changes through {@link #onChange}, in one order (revisions
 * increase). The engine marks the resource pending at every subscriber interested in it; each
 * subscriber keeps at most one pending entry per resource, and its stream is drained on the
 * shared executor while its {@link PushSink} is ready, reading the newest value at send time. So
 * a change goes out as soon as the stream can take it (no debounce), a subscriber that stops
 * reading never blocks the others, and never holds more than one pending value per subscribed
 * resource.
 *
 * <p>The engine knows nothing of gRPC: the service layer adapts a stream to a {@link PushSink}
 * and feeds requests to the {@link Subscriber}.
 *
 * <p>A change that only a few subscribers need ({@link #DEFAULT_INLINE_DRAINS} or fewer, set per
 * engine) is drained on the thread that reports it, right after the engine's lock is released:
 * the response reaches the transport without waking a push thread, which on a busy machine is the
 * largest step between a write and a lone watcher. The reporter (the registry view) may still hold
 * its own locks then; a drain takes the subscriber's and the stream's monitors, which no thread
 * holds while waiting for those locks.
 *
 * <p>Thread-safe. Lock order: engine, then subscriber, then the convergence tracker; resource
 * sources are read with no lock held.
 */
public final class PushEngine implements ChangeListener, AutoCloseable {

  /** Tasks that share the drains of one change: the push threads of a typical machine. */
  private static final int DRAIN_TASKS = Math.max(1, Runtime.getRuntime().availableProcessors());

  /**
   * Subscribers a change may need for its drains to run on the reporting thread rather than the
   * executor: one watcher's write then costs no thread hand-off, while a wide fan-out still leaves
   * the writer at once.
   */
  public static final int DEFAULT_INLINE_DRAINS = 4;

  private final Object lock = new Object();
  private final Map<String, ResourceSource> sources = new ConcurrentHashMap<>();
  private final Executor executor;
  private final Ticker ticker;
  private final PushLimits limits;
  private final ConvergenceTracker convergence;
  private final Versions versions;
  private final PendingBudget budget;
  private final int inlineDrains;

  // guarded by lock
  private final Map<String, Map<String, Set<Subscriber>>> explicit = new HashMap<>();
  private final Map<String, Set<Subscriber>> wildcard = new HashMap<>();
  private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
  private volatile long revision;
  private boolean closed;

  final AtomicLong batchesSent = new AtomicLong();
  final AtomicLong resourcesSent = new AtomicLong();
  final AtomicLong acks = new AtomicLong();
  final AtomicLong nacks = new AtomicLong();

  /**
   * Creates an engine that serves no resource type yet: add one source per type with {@link
   * #addSource} before the first change of that type.
   *
   * @param executor runs subscriber drains; drains of one subscriber never overlap
   * @param ticker time source for convergence
   * @param limits per-subscriber bounds
   * @param listener receives convergence measurements
   * @param versions renders revisions for clients and reads the versions they hold
   */
  public PushEngine(Executor executor, Ticker ticker, PushLimits limits, ConvergenceListener listener,
      Versions versions) {
    this(executor, ticker, limits, listener, versions, DEFAULT_INLINE_DRAINS);
  }

  /**
   * Creates an engine like {@link #PushEngine(Executor, Ticker, PushLimits, ConvergenceListener,
   * Versions)} whose changes needed by at most {@code inlineDrains} subscribers are drained on the
   * thread that reports them (0: always on the executor).
   *
   * @throws IllegalArgumentException when {@code inlineDrains} is negative
   */
  public PushEngine(Executor executor, Ticker ticker, PushLimits limits, ConvergenceListener listener,
      Versions versions, int inlineDrains) {
    if (inlineDrains < 0) {
      throw new IllegalArgumentException("inlineDrains must not be negative: " + inlineDrains);
    }
    this.inlineDrains = inlineDrains;
    this.executor = executor;
    this.ticker = ticker;
    this.limits = limits;
    this.convergence = new ConvergenceTracker(ticker, listener, limits.maxTrackedChangesPerResource());
    this.versions = versions;
    this.budget = new PendingBudget(limits);
  }

  /** Returns how versions are rendered and read. */
  public Versions versions() {
    return versions;
  }

  /**
   * Serves resources of {@code source}'s type from it.
   *
   * @throws IllegalStateException when a source of that type was added already
   */
  public void addSource(ResourceSource source) {
    if (sources.putIfAbsent(source.typeUrl(), source) != null) {
      throw new IllegalStateException("a source of " + source.typeUrl() + " was added already");
    }
  }

  /** Adds every source of {@code sources}; see {@link #addSource}. */
  public void addSources(Collection<? extends ResourceSource> sources) {
    for (ResourceSource s : sources) {
      addSource(s);
    }
  }

  /** Returns the revision of the last change reported. */
  public long revision() {
    return revision;
  }

  /** Returns the limits this engine enforces. */
  public PushLimits limits() {
    return limits;
  }

  /**
   * Opens a subscriber for one stream.
   *
   * @param nodeId the client's identifier, for logs
   * @param nodeKind the client's kind ("gateway", "sidecar", ...), for metrics
   * @throws IllegalStateException after {@link #close()}
   */
  public Subscriber open(String nodeId, String nodeKind, PushSink sink) {
    return open(nodeId, nodeKind, sink, name -> true);
  }

  /**
   * Opens a subscriber for one stream that receives only resources whose names {@code visible}
   * accepts: a wildcard subscription delivers nothing else, not even a name (authorization).
   *
   * @throws IllegalStateException after {@link #close()}
   */
  public Subscriber open(String nodeId, String nodeKind, PushSink sink, java.util.function.Predicate<String> visible) {
    return open(nodeId, nodeKind, "", sink, visible, null);
  }

  /**
   * Opens a subscriber like {@link #open(String, String, PushSink, java.util.function.Predicate)}
   * whose names count against the pending-bytes budget of {@code connection} (any value that equals
   * itself for one client connection; null when the transport names none) as well as its own and
   * the engine's ({@link PushLimits#maxPendingBytesPerConnection()}).
   *
   * @throws IllegalStateException after {@link #close()}
   */
  public Subscriber open(String nodeId, String nodeKind, PushSink sink, java.util.function.Predicate<String> visible,
      Object connection) {
    return open(nodeId, nodeKind, "", sink, visible, connection);
  }

  /**
   * Opens a subscriber like {@link #open(String, String, PushSink, java.util.function.Predicate)} for a
   * client in {@code zone} (shown to operators; may be empty).
   *
   * @throws IllegalStateException after {@link #close()}
   */
  public Subscriber open(String nodeId, String nodeKind, String zone, PushSink sink,
      java.util.function.Predicate<String> visible) {
    return open(nodeId, nodeKind, zone, sink, visible, null);
  }

  /**
   * Opens a subscriber for a client in {@code zone} whose names count against the pending-bytes
   * budget of {@code connection} (see {@link #open(String, String, PushSink,
   * java.util.function.Predicate, Object)}).
   *
   * @throws IllegalStateException after {@link #close()}
   */
  public Subscriber open(String nodeId, String nodeKind, String zone, PushSink sink,
      java.util.function.Predicate<String> visible, Object connection) {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("push engine closed");
      }
      Subscriber s = new Subscriber(this, nodeId, nodeKind, zone == null ? "" : zone, sink, visible, connection);
      subscribers.add(s);
      return s;
    }
  }

  /**
   * Reports that resource {@code name} of {@code typeUrl} changed (or was removed) at {@code
   * version}. Must be called in increasing version order, by the single writer of the facts.
   *
   * @param changedAtNanos the {@link Ticker} reading when the change was committed
   */
  @Override
  public void onChange(String typeUrl, String name, long version, long changedAtNanos) {
    ResourceSource source = sources.get(typeUrl);
    List<Subscriber> toDrain;
    synchronized (lock) {
      if (version > revision) {
        revision = version;
      }
      Set<Subscriber> candidates = new LinkedHashSet<>();
      Map<String, Set<Subscriber>> byName = explicit.get(typeUrl);
      if (byName != null) {
        Set<Subscriber> named = byName.get(name);
        if (named != null) {
          candidates.addAll(named);
        }
      }
      Set<Subscriber> all = wildcard.get(typeUrl);
      if (all != null) {
        candidates.addAll(all);
      }
      if (candidates.isEmpty()) {
        return;
      }
      // names() takes no lock: whether the resource exists after this change.
      boolean exists = source != null && source.names().contains(name);
      List<Subscriber> interested = new ArrayList<>(candidates.size());
      for (Subscriber s : candidates) {
        if (s.accepts(typeUrl, name, version, exists)) {
          interested.add(s);
        }
      }
      // The tracker must know the change before any subscriber can answer it.
      convergence.onChange(typeUrl, name, version, changedAtNanos, interested.size());
      toDrain = new ArrayList<>(interested.size());
      for (Subscriber s : interested) {
        if (s.markChanged(typeUrl, name, version)) {
          toDrain.add(s);
        }
      }
    }
    scheduleDrains(toDrain);
  }

  /**
   * Runs the drains of one change here when they are few (at most {@code inlineDrains}), else in a
   * few tasks (one per {@link #DRAIN_TASKS} share of the subscribers) rather than one task each: a
   * change to a thousand watchers costs the writer a couple of executor hand-offs, not a thousand.
   * Each drain was claimed by its subscriber already. Called with no lock of the engine held.
   */
  private void scheduleDrains(List<Subscriber> toDrain) {
    int n = toDrain.size();
    if (n == 0) {
      return;
    }
    if (n <= inlineDrains) {
      for (Subscriber s : toDrain) {
        s.runDrain();
      }
      return;
    }
    int tasks = Math.min(n, DRAIN_TASKS);
    for (int t = 0; t < tasks; t++) {
      List<Subscriber> share = toDrain.subList(n * t / tasks, n * (t + 1) / tasks);
      executor.execute(() -> {
        for (Subscriber s : share) {
          s.runDrain();
        }
      });
    }
  }

  /**
   * Returns a future completed when every subscriber that needed the change of {@code name} at
   * {@code version} has answered it, or at once when none is waiting.
   */
  public CompletableFuture<Convergence> whenConverged(String typeUrl, String name, long version) {
    return convergence.whenConverged(typeUrl, name, version);
  }

  /** Returns the engine's counters. */
  public PushStats stats() {
    long pending = 0;
    for (Subscriber s : subscribers) {
      pending += s.pendingCount();
    }
    return new PushStats(subscribers.size(), batchesSent.get(), resourcesSent.get(), acks.get(), nacks.get(), pending,
        convergence.waitingChanges());
  }

  /**
   * Returns the bytes that every open stream's client-chosen names hold, as charged against {@link
   * PushLimits#maxPendingBytesPerProcess()}.
   */
  public long pendingBytes() {
    return budget.processBytes();
  }

  PendingBudget budget() {
    return budget;
  }

  /** Returns what each open subscriber looks like now (for operators; each read under its own monitor). */
  public List<SubscriberInfo> subscribers() {
    List<SubscriberInfo> out = new ArrayList<>(subscribers.size());
    for (Subscriber s : subscribers) {
      out.add(s.info());
    }
    return out;
  }

  /** Returns the ticker the engine measures with (the clock of {@link SubscriberInfo}'s readings). */
  public Ticker clock() {
    return ticker;
  }

  /** Ends every subscriber's stream with {@link SubscriberCloseReason#SHUTTING_DOWN}; no new subscriber opens. */
  @Override
  public void close() {
    List<Subscriber> open;
    synchronized (lock) {
      closed = true;
      open = new ArrayList<>(subscribers);
    }
    for (Subscriber s : open) {
      s.closeByServer(SubscriberCloseReason.SHUTTING_DOWN);
    }
  }

  // --- called by Subscriber ---

  ResourceSource source(String typeUrl) {
    return sources.get(typeUrl);
  }

  Object lock() {
    return lock;
  }

  Executor executor() {
    return executor;
  }

  Ticker ticker() {
    return ticker;
  }

  ConvergenceTracker convergence() {
    return convergence;
  }

  /** Index updates; caller holds the engine lock. */
  void indexExplicit(String typeUrl, String name, Subscriber s, boolean add) {
    Map<String, Set<Subscriber>> byName = explicit.computeIfAbsent(typeUrl, t -> new HashMap<>());
    if (add) {
      byName.computeIfAbsent(name, n -> new LinkedHashSet<>(2)).add(s);
    } else {
      Set<Subscriber> set = byName.get(name);
      if (set != null && set.remove(s) && set.isEmpty()) {
        byName.remove(name);
      }
    }
  }

  /** Index updates; caller holds the engine lock. */
  void indexWildcard(String typeUrl, Subscriber s, boolean add) {
    if (add) {
      wildcard.computeIfAbsent(typeUrl, t -> new LinkedHashSet<>()).add(s);
    } else {
      Set<Subscriber> set = wildcard.get(typeUrl);
      if (set != null) {
        set.remove(s);
      }
    }
  }

  /** Caller holds the engine lock. */
  void forget(Subscriber s) {
    subscribers.remove(s);
  }

  static boolean isWildcard(String name) {
    return ResourceTypes.WILDCARD.equals(name);
  }
}
