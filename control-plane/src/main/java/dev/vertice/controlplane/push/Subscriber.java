// Longer than 600 lines: the subscribe, unsubscribe, close and drain paths share one monitor and
// must keep their state changes (entries, pending queue, charges) side by side to stay in step.
package dev.vertice.controlplane.push;

import dev.vertice.controlplane.push.NameState.Owed;
import dev.vertice.controlplane.push.NameState.Sent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code Subscriber} is the engine's side of one Watch or ADS stream: what it subscribes to, what
 * the client holds, what is pending, and which responses await an answer.
 *
 * <p>Requests ({@link #subscribe}, {@link #unsubscribe}, {@link #answer}) come from the
 * transport, one at a time. Sends happen in a drain loop on the engine's executor, never two at
 * once for one subscriber, and only while the sink is ready. Thread-safe.
 *
 * <p>Here: the subscriptions per type (wildcard and named, initial versions), the pending queue
 * and the batch building in the drain loop. Each name's state is a {@link NameState}; the sent
 * responses awaiting an ACK or NACK are kept by {@link OutstandingResponses}. Both are guarded by
 * this subscriber's monitor; the convergence tracker is told what was answered or abandoned only
 * after that monitor is released.
 */
public final class Subscriber {

  private static final Logger log = Logger.getLogger(Subscriber.class.getName());

  private static final class TypeState {
    final String typeUrl;
    final ResourceSource source;
    final Map<String, NameState> entries = new HashMap<>();
    final ArrayDeque<NameState> pending = new ArrayDeque<>();
    boolean wildcard;
    boolean initialSeen;
    /** A subscribe request has not been answered yet: answer it even when nothing differs. */
    boolean syncOwed;
    int explicitCount;

    TypeState(String typeUrl, ResourceSource source) {
      this.typeUrl = typeUrl;
      this.source = source;
    }
  }

  private final PushEngine engine;
  private final String nodeId;
  private final String nodeKind;
  private final PushSink sink;
  /** Which resource names this subscriber may receive (authorization); fixed for the stream. */
  private final Predicate<String> visible;
  private final AtomicInteger wip = new AtomicInteger();
  private final String zone;
  private final long openedAtNanos;
  // For operators (info()): written by the drain loop and answer(), read without a lock.
  private volatile long sentRevision;
  private volatile long ackedRevision;
  private volatile long lastAnswerAtNanos;
  private final java.util.concurrent.atomic.AtomicLong acks = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong nacks = new java.util.concurrent.atomic.AtomicLong();

  // guarded by this
  private final Map<String, TypeState> types = new LinkedHashMap<>(2);
  private final OutstandingResponses outstanding = new OutstandingResponses();
  private boolean closed;
  private SubscriberCloseReason closeReason;
  /** Bytes charged to the budget for names this stream's client chose (see {@link PendingBudget}). */
  private long heldBytes;

  /** The client connection as the transport names it (null: unknown), for the per-connection budget. */
  private final Object connection;

  Subscriber(PushEngine engine, String nodeId, String nodeKind, String zone, PushSink sink,
      Predicate<String> visible, Object connection) {
    this.engine = engine;
    this.connection = connection;
    this.zone = zone;
    this.openedAtNanos = engine.ticker().nanoTime();
    this.lastAnswerAtNanos = openedAtNanos;
    this.nodeId = nodeId;
    this.nodeKind = nodeKind;
    this.sink = sink;
    this.visible = visible;
  }

  /** Returns the client's node id. */
  public String nodeId() {
    return nodeId;
  }

  /** Returns the client's kind. */
  public String nodeKind() {
    return nodeKind;
  }

  /**
   * Adds names to the subscription of {@code typeUrl} ("*" for every resource of the type). On the
   * first request for the type, {@code initialVersions} says what the client already holds; it is
   * ignored afterwards. Names must already be canonical for the type.
   *
   * @throws PushLimitExceededException when the subscription would exceed the limit; nothing changes
   * @throws IllegalArgumentException when the type is not served
   */
  public void subscribe(String typeUrl, Collection<String> names, Map<String, String> initialVersions)
      throws PushLimitExceededException {
    ResourceSource source = engine.source(typeUrl);
    if (source == null) {
      throw new IllegalArgumentException("unknown resource type: " + typeUrl);
    }
    boolean signal = false;
    synchronized (engine.lock()) {
      synchronized (this) {
        if (closed) {
          return;
        }
        TypeState ts = types.computeIfAbsent(typeUrl, t -> new TypeState(t, source));
        boolean first = !ts.initialSeen;
        boolean wildcardAsked = false;
        int added = 0;
        // Names this request would make us hold that no resource backs: they are what a client
        // chooses, so they count against the subscription limit and the pending-bytes budget.
        Set<String> chosen = new HashSet<>();
        long bytes = 0;
        for (String n : names) {
          if (PushEngine.isWildcard(n)) {
            wildcardAsked = true;
            continue;
          }
          NameState e = ts.entries.get(n);
          if (e == null || !e.explicit) {
            added++;
          }
          if (e == null && visible.test(n) && chosen.add(n)) {
            bytes += PendingBudget.cost(n);
          }
        }
        int heldOnly = 0;
        if (first && wildcardAsked && !initialVersions.isEmpty()) {
          Collection<String> existing = source.names();
          for (String n : initialVersions.keySet()) {
            if (visible.test(n) && !ts.entries.containsKey(n) && !existing.contains(n) && chosen.add(n)) {
              heldOnly++;
              bytes += PendingBudget.cost(n);
            }
          }
        }
        int limit = engine.limits().maxSubscriptionsPerStream();
        if (ts.explicitCount + added + heldOnly > limit) {
          throw new PushLimitExceededException((heldOnly == 0 ? "subscribing to " + added + " more names"
              : "subscribing to " + added + " more names and holding " + heldOnly + " names of"
                  + " initial_resource_versions that no resource has")
              + " would exceed the limit of " + limit + " subscriptions per stream for " + typeUrl + " ("
              + ts.explicitCount + " held; --max-subscriptions)");
        }
        if (bytes > 0) {
          String why = engine.budget().tryCharge(connection, heldBytes, bytes);
          if (why != null) {
            throw new PushLimitExceededException(why + " (" + typeUrl + ")");
          }
          heldBytes += bytes;
        }
        long since = engine.revision();
        ts.initialSeen = true;
        for (String n : names) {
          if (PushEngine.isWildcard(n)) {
            if (!ts.wildcard) {
              ts.wildcard = true;
              engine.indexWildcard(typeUrl, this, true);
            }
            // Listed under the engine lock (names() takes no lock): a resource created before this
            // point is listed here, one created after it reaches this subscriber through onChange.
            for (String name : source.names()) {
              if (visible.test(name)) {
                queue(ts, entry(ts, name, since));
              }
            }
            if (first) {
              // Held resources that no longer exist must be reported removed.
              for (String name : initialVersions.keySet()) {
                if (visible.test(name)) {
                  queue(ts, entry(ts, name, since));
                }
              }
            }
          } else if (visible.test(n)) {
            // Names not visible were refused by the service layer; never delivered here either.
            NameState e = entry(ts, n, since);
            if (!e.explicit) {
              e.explicit = true;
              ts.explicitCount++;
              engine.indexExplicit(typeUrl, n, this, true);
            }
            queue(ts, e);
          }
        }
        if (first) {
          for (Map.Entry<String, String> held : initialVersions.entrySet()) {
            NameState e = ts.entries.get(held.getKey());
            if (e != null && e.sent == NameState.NONE) {
              long v = engine.versions().parse(held.getValue());
              e.sent = v > 0 ? v : NameState.UNKNOWN;
            }
          }
        }
        // Each chosen name now has an entry: it carries its charge until it leaves the map.
        long charged = 0;
        for (String n : chosen) {
          NameState e = ts.entries.get(n);
          if (e != null && e.charged == 0) {
            e.charged = PendingBudget.cost(n);
            charged += e.charged;
          }
        }
        if (charged < bytes) {
          heldBytes -= bytes - charged;
          engine.budget().release(connection, bytes - charged);
        }
        ts.syncOwed = true;
        signal = true;
      }
    }
    if (signal) {
      drain();
    }
  }

  /** Removes names (or "*") from the subscription of {@code typeUrl}; unknown names are ignored. */
  public void unsubscribe(String typeUrl, Collection<String> names) {
    List<Owed> gone = new ArrayList<>();
    synchronized (engine.lock()) {
      synchronized (this) {
        TypeState ts = types.get(typeUrl);
        if (ts == null || closed) {
          return;
        }
        long goneAt = engine.revision();
        for (String n : names) {
          if (PushEngine.isWildcard(n)) {
            if (ts.wildcard) {
              ts.wildcard = false;
              engine.indexWildcard(typeUrl, this, false);
              for (Iterator<NameState> it = ts.entries.values().iterator(); it.hasNext(); ) {
                NameState e = it.next();
                if (!e.explicit) {
                  it.remove();
                  uncharge(e);
                  e.retire(goneAt, gone);
                }
              }
            }
          } else {
            NameState e = ts.entries.get(n);
            if (e != null && e.explicit) {
              e.explicit = false;
              ts.explicitCount--;
              engine.indexExplicit(typeUrl, n, this, false);
              if (!ts.wildcard) {
                ts.entries.remove(n);
                uncharge(e);
                e.retire(goneAt, gone);
              }
            }
          }
        }
        ts.pending.removeIf(e -> e.gone);
        outstanding.collectUnanswered(gone);
      }
    }
    abandon(gone);
  }

  /**
   * Records the client's answer to the response with {@code nonce}: an ACK when {@code nackMessage}
   * is null, else a NACK. The client keeps what it had after a NACK; the engine sends the resource
   * again only when its version changes.
   *
   * @return false when the nonce is unknown (never sent, or too old to be remembered)
   */
  public boolean answer(String nonce, String nackMessage) {
    long n;
    try {
      n = Long.parseLong(nonce);
    } catch (NumberFormatException e) {
      return false;
    }
    boolean nacked = nackMessage != null;
    List<Sent> sents;
    synchronized (this) {
      sents = outstanding.answer(n, nackMessage);
      if (sents == null) {
        return false;
      }
    }
    (nacked ? engine.nacks : engine.acks).incrementAndGet();
    (nacked ? nacks : acks).incrementAndGet();
    lastAnswerAtNanos = engine.ticker().nanoTime();
    if (!nacked) {
      long to = 0;
      for (Sent s : sents) {
        to = Math.max(to, s.to);
      }
      if (to > ackedRevision) {
        ackedRevision = to;
      }
    }
    for (Sent s : sents) {
      if (!s.entry.gone) {
        engine.convergence().onAnswered(s.entry.typeUrl, s.entry.name, nodeKind, s.from, s.to, nacked);
      }
    }
    return true;
  }

  /** Tells the engine that the transport can take more: resumes sending. */
  public void onReady() {
    drain();
  }

  /** The client's stream ended: forget every subscription; changes it still owed are abandoned. */
  public void onStreamClosed() {
    List<Owed> gone = new ArrayList<>();
    synchronized (engine.lock()) {
      synchronized (this) {
        if (closed && closeReason == null) {
          return;
        }
        closed = true;
        long goneAt = engine.revision();
        for (TypeState ts : types.values()) {
          if (ts.wildcard) {
            engine.indexWildcard(ts.typeUrl, this, false);
          }
          for (NameState e : ts.entries.values()) {
            if (e.explicit) {
              engine.indexExplicit(ts.typeUrl, e.name, this, false);
            }
            uncharge(e);
            e.retire(goneAt, gone);
          }
          ts.entries.clear();
          ts.pending.clear();
        }
        // Entries dropped after their removal was sent still owe their unanswered responses.
        outstanding.retireUnanswered(goneAt, gone);
        outstanding.collectUnanswered(gone);
        outstanding.clear();
        closeReason = null;
        engine.forget(this);
      }
    }
    abandon(gone);
  }

  /** Returns the number of resources waiting to be sent to this subscriber. */
  public synchronized int pendingCount() {
    int n = 0;
    for (TypeState ts : types.values()) {
      n += ts.pending.size();
    }
    return n;
  }

  /** Returns the bytes charged for the names this stream's client chose (see {@link PushLimits}). */
  public synchronized long pendingBytes() {
    return heldBytes;
  }

  /** Returns the number of sent responses not yet answered (bounded by the limits). */
  public synchronized int outstandingCount() {
    return outstanding.size();
  }

  /** Returns the message of the last NACK, or null. */
  public synchronized String lastNack() {
    return outstanding.lastNack();
  }

  /** Returns what this subscriber looks like now, for operators. */
  public synchronized SubscriberInfo info() {
    List<String> typeNames = new ArrayList<>(types.size());
    int subscriptions = 0;
    int held = 0;
    int pending = 0;
    for (TypeState ts : types.values()) {
      typeNames.add(ts.wildcard ? ts.typeUrl + " *" : ts.typeUrl);
      subscriptions += ts.explicitCount;
      pending += ts.pending.size();
      for (NameState e : ts.entries.values()) {
        if (e.sent > 0) {
          held++;
        }
      }
    }
    return new SubscriberInfo(nodeId, nodeKind, zone, typeNames, subscriptions, held, pending, outstanding.size(),
        sentRevision, ackedRevision, acks.get(), nacks.get(), outstanding.lastNack(), openedAtNanos,
        lastAnswerAtNanos);
  }

  /** Returns the number of explicit subscriptions of {@code typeUrl}. */
  public synchronized int subscriptionCount(String typeUrl) {
    TypeState ts = types.get(typeUrl);
    return ts == null ? 0 : ts.explicitCount;
  }

  // --- engine side ---

  /**
   * Says whether this subscriber needs the change of {@code name} at {@code version} (caller holds
   * the engine lock). A wildcard subscriber does not need the removal of a resource it was never
   * sent; an entry that was waiting to send such a resource is dropped, so that a subscriber which
   * stopped reading holds entries only for resources that exist.
   */
  boolean accepts(String typeUrl, String name, long version, boolean exists) {
    List<Owed> dropped = null;
    synchronized (this) {
      TypeState ts = types.get(typeUrl);
      if (ts == null || closed) {
        return false;
      }
      NameState e = ts.entries.get(name);
      if (e == null) {
        return ts.wildcard && exists && visible.test(name);
      }
      if (exists || e.explicit || e.sent != NameState.NONE) {
        return true;
      }
      ts.entries.remove(name);
      uncharge(e);
      if (e.queued) {
        ts.pending.remove(e);
        e.queued = false;
      }
      dropped = new ArrayList<>(1);
      e.retire(version - 1, dropped);
    }
    abandon(dropped);
    return false;
  }

  /**
   * Caller holds the engine lock, and {@link #accepts} said yes. Returns true when the caller must
   * run {@link #runDrain()} (on the engine's executor): the change queued an entry and no drain was
   * running or scheduled. The engine schedules the drains of one change together.
   */
  boolean markChanged(String typeUrl, String name, long version) {
    boolean signal = false;
    synchronized (this) {
      TypeState ts = types.get(typeUrl);
      if (ts == null || closed) {
        return false;
      }
      NameState e = ts.entries.get(name);
      if (e == null) {
        e = new NameState(typeUrl, name, version - 1);
        ts.entries.put(name, e);
      }
      signal = queue(ts, e);
    }
    return signal && wip.getAndIncrement() == 0;
  }

  /** Runs the drain that {@link #markChanged} claimed: on the engine's executor, or inline for a small fan-out. */
  void runDrain() {
    drainLoop();
  }

  void closeByServer(SubscriberCloseReason reason) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      closeReason = reason;
    }
    drain();
  }

  private void drain() {
    if (wip.getAndIncrement() == 0) {
      engine.executor().execute(this::drainLoop);
    }
  }

  private void drainLoop() {
    int missed = 1;
    do {
      SubscriberCloseReason close;
      synchronized (this) {
        close = closeReason;
      }
      try {
        if (close != null) {
          sink.close(close);
          onStreamClosed();
        } else {
          while (sink.isReady()) {
            PushBatch batch = nextBatch();
            if (batch == null) {
              break;
            }
            // Counted before the write: the client can answer (and a reader of the counters see
            // its ACK) before send returns. Taken back when the stream had ended already.
            int resources = batch.resources().size() + batch.removed().size();
            engine.batchesSent.incrementAndGet();
            engine.resourcesSent.addAndGet(resources);
            if (sink.send(batch)) {
              sentRevision = Math.max(sentRevision, batch.systemVersion());
            } else {
              engine.batchesSent.decrementAndGet();
              engine.resourcesSent.addAndGet(-resources);
            }
          }
        }
      } catch (RuntimeException e) {
        // Never leave the loop with work counted: this subscriber would never send again.
        log.log(Level.SEVERE, "push to " + nodeId + " failed; ending its stream", e);
        closeByServer(SubscriberCloseReason.INTERNAL_ERROR);
      }
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  /** Builds the next response, or returns null when nothing is pending. Runs in the drain loop only. */
  private PushBatch nextBatch() {
    while (true) {
      TypeState ts;
      List<NameState> taken = new ArrayList<>();
      synchronized (this) {
        if (closed) {
          return null;
        }
        ts = null;
        for (TypeState t : types.values()) {
          if (!t.pending.isEmpty() || t.syncOwed) {
            ts = t;
            break;
          }
        }
        if (ts == null) {
          return null;
        }
        int max = engine.limits().maxResourcesPerBatch();
        while (taken.size() < max && !ts.pending.isEmpty()) {
          NameState e = ts.pending.pollFirst();
          e.queued = false;
          taken.add(e);
        }
      }
      // Read the revision first: every resource read afterwards reflects at least it.
      long revision = engine.revision();
      Resource[] values = new Resource[taken.size()];
      int bytes = 0;
      int count = 0;
      for (; count < taken.size(); count++) {
        Resource r = ts.source.get(taken.get(count).name);
        int size = r == null ? taken.get(count).name.length() : r.sizeBytes();
        if (count > 0 && bytes + size > engine.limits().maxBatchBytes()) {
          break;
        }
        bytes += size;
        values[count] = r;
      }
      List<Resource> resources = new ArrayList<>();
      List<String> removed = new ArrayList<>();
      List<Sent> sents = new ArrayList<>();
      List<Owed> answeredNow = new ArrayList<>();
      List<Owed> evicted = new ArrayList<>();
      long nonce;
      synchronized (this) {
        if (closed) {
          return null;
        }
        // Whatever did not fit goes back to the front, in order.
        for (int i = taken.size() - 1; i >= count; i--) {
          NameState e = taken.get(i);
          if (!e.gone && !e.queued) {
            e.queued = true;
            ts.pending.addFirst(e);
          }
        }
        for (int i = 0; i < count; i++) {
          NameState e = taken.get(i);
          if (e.gone) {
            continue;
          }
          Resource r = values[i];
          // Changes up to the revision read before the values are reflected in them; a later
          // change re-queues the entry and is covered then.
          long to = revision;
          if (r != null ? e.sent == r.version() : e.sent == NameState.ABSENT) {
            // The client already holds this content: the answer to what it was sent covers the change.
            if (to > e.covered) {
              if (e.lastSent != null && !e.lastSent.answered) {
                e.lastSent.to = Math.max(e.lastSent.to, to);
              } else {
                answeredNow.add(new Owed(e, e.covered, to));
              }
              e.covered = to;
            }
            continue;
          }
          if (r != null) {
            resources.add(r);
            e.sent = r.version();
          } else {
            removed.add(e.name);
            e.sent = NameState.ABSENT;
            if (!e.explicit && !e.queued) {
              ts.entries.remove(e.name);
              uncharge(e);
              e.dropped = true;
            }
          }
          Sent sent = new Sent(e, e.covered, Math.max(e.covered, to));
          e.covered = sent.to;
          e.lastSent = sent;
          sents.add(sent);
        }
        // The answer to a subscribe is the response that leaves nothing of it pending.
        boolean syncs = ts.syncOwed && ts.pending.isEmpty();
        if (sents.isEmpty() && !syncs) {
          nonce = -1;
        } else {
          if (syncs) {
            ts.syncOwed = false;
          }
          // Too many unanswered responses: the oldest is forgotten; what it covered is abandoned
          // for this subscriber, and its late answer is ignored.
          nonce = outstanding.add(sents, engine.limits().maxOutstandingBatches(), evicted);
        }
      }
      for (Owed o : answeredNow) {
        engine.convergence().onAnswered(o.entry().typeUrl, o.entry().name, nodeKind, o.from(), o.to(), false);
      }
      abandon(evicted);
      if (nonce > 0) {
        return new PushBatch(ts.typeUrl, revision, resources, removed, Long.toString(nonce));
      }
      // Everything taken was already held by the client: look again.
    }
  }

  /** Caller holds this: {@code e} left its map; what it was charged goes back to the budget. */
  private void uncharge(NameState e) {
    if (e.charged > 0) {
      heldBytes -= e.charged;
      engine.budget().release(connection, e.charged);
      e.charged = 0;
    }
  }

  /** Caller holds this. */
  private NameState entry(TypeState ts, String name, long since) {
    return ts.entries.computeIfAbsent(name, n -> new NameState(ts.typeUrl, n, since));
  }

  /** Caller holds this; returns whether the entry was newly queued. */
  private static boolean queue(TypeState ts, NameState e) {
    if (e.queued) {
      return false;
    }
    e.queued = true;
    ts.pending.addLast(e);
    return true;
  }

  /** Tells the tracker that this subscriber will never answer {@code owed}. Called with no subscriber lock. */
  private void abandon(List<Owed> owed) {
    for (Owed o : owed) {
      engine.convergence().onGone(o.entry().typeUrl, o.entry().name, o.from(), o.to());
    }
  }
}
