package dev.vertice.controlplane.push;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code Subscriber} is the engine's side of one Watch stream: what it subscribes to, what the
 * client holds, what is pending, and which responses await an answer.
 *
 * <p>Requests ({@link #subscribe}, {@link #unsubscribe}, {@link #answer}) come from the
 * transport, one at a time. Sends happen in a drain loop on the engine's executor, never two at
 * once for one subscriber, and only while the sink is ready. Thread-safe.
 */
public final class Subscriber {

  /** The client holds nothing for the name. */
  private static final long NONE = -1;
  /** The client holds a version we cannot compare (unparsable): always replace it. */
  private static final long UNKNOWN = -2;
  /** The client was told the resource does not exist. */
  private static final long ABSENT = 0;

  /** One subscribed (or wildcard-delivered) resource name. */
  private static final class Entry {
    final String typeUrl;
    final String name;
    boolean explicit;
    /** What the client holds: a version, NONE, UNKNOWN or ABSENT. */
    long sent = NONE;
    /** Highest revision whose changes of this name a sent response covers. */
    long covered;
    /** Highest revision whose changes of this name the client answered. */
    long answered;
    /** Version of the last change dispatched to this entry. */
    long lastDispatched;
    boolean queued;
    boolean gone;
    Sent lastSent;

    Entry(String typeUrl, String name, long since) {
      this.typeUrl = typeUrl;
      this.name = name;
      this.covered = since;
      this.answered = since;
    }
  }

  /** One resource in one sent response: the change range it covers. */
  private static final class Sent {
    final Entry entry;
    final long from;
    long to;
    boolean answered;

    Sent(Entry entry, long from, long to) {
      this.entry = entry;
      this.from = from;
      this.to = to;
    }
  }

  private static final class TypeState {
    final String typeUrl;
    final ResourceSource source;
    final Map<String, Entry> entries = new HashMap<>();
    final ArrayDeque<Entry> pending = new ArrayDeque<>();
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
  private final AtomicInteger wip = new AtomicInteger();

  // guarded by this
  private final Map<String, TypeState> types = new LinkedHashMap<>(2);
  private final LinkedHashMap<Long, List<Sent>> outstanding = new LinkedHashMap<>();
  private long nonceCounter;
  private boolean closed;
  private SubscriberCloseReason closeReason;
  private String lastNack;

  Subscriber(PushEngine engine, String nodeId, String nodeKind, PushSink sink) {
    this.engine = engine;
    this.nodeId = nodeId;
    this.nodeKind = nodeKind;
    this.sink = sink;
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
        int added = 0;
        for (String n : names) {
          if (!PushEngine.isWildcard(n)) {
            Entry e = ts.entries.get(n);
            if (e == null || !e.explicit) {
              added++;
            }
          }
        }
        int limit = engine.limits().maxSubscriptionsPerStream();
        if (ts.explicitCount + added > limit) {
          throw new PushLimitExceededException("subscribing to " + added + " more names would exceed the limit of "
              + limit + " subscriptions per stream for " + typeUrl + " (" + ts.explicitCount + " held)");
        }
        long since = engine.revision();
        boolean first = !ts.initialSeen;
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
              queue(ts, entry(ts, name, since));
            }
            if (first) {
              // Held resources that no longer exist must be reported removed.
              for (String name : initialVersions.keySet()) {
                queue(ts, entry(ts, name, since));
              }
            }
          } else {
            Entry e = entry(ts, n, since);
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
            Entry e = ts.entries.get(held.getKey());
            if (e != null && e.sent == NONE) {
              long v = engine.versions().parse(held.getValue());
              e.sent = v > 0 ? v : UNKNOWN;
            }
          }
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
    List<Entry> gone = new ArrayList<>();
    synchronized (engine.lock()) {
      synchronized (this) {
        TypeState ts = types.get(typeUrl);
        if (ts == null || closed) {
          return;
        }
        for (String n : names) {
          if (PushEngine.isWildcard(n)) {
            if (ts.wildcard) {
              ts.wildcard = false;
              engine.indexWildcard(typeUrl, this, false);
              for (Iterator<Entry> it = ts.entries.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (!e.explicit) {
                  it.remove();
                  retire(e, gone);
                }
              }
            }
          } else {
            Entry e = ts.entries.get(n);
            if (e != null && e.explicit) {
              e.explicit = false;
              ts.explicitCount--;
              engine.indexExplicit(typeUrl, n, this, false);
              if (!ts.wildcard) {
                ts.entries.remove(n);
                retire(e, gone);
              }
            }
          }
        }
        ts.pending.removeIf(e -> e.gone);
      }
    }
    reportGone(gone);
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
      sents = outstanding.remove(n);
      if (sents == null) {
        return false;
      }
      if (nacked) {
        lastNack = nackMessage;
      }
      for (Sent s : sents) {
        s.answered = true;
        if (!s.entry.gone) {
          s.entry.answered = Math.max(s.entry.answered, s.to);
        }
      }
    }
    (nacked ? engine.nacks : engine.acks).incrementAndGet();
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
    List<Entry> gone = new ArrayList<>();
    synchronized (engine.lock()) {
      synchronized (this) {
        if (closed && closeReason == null) {
          return;
        }
        closed = true;
        for (TypeState ts : types.values()) {
          if (ts.wildcard) {
            engine.indexWildcard(ts.typeUrl, this, false);
          }
          for (Entry e : ts.entries.values()) {
            if (e.explicit) {
              engine.indexExplicit(ts.typeUrl, e.name, this, false);
            }
            retire(e, gone);
          }
          ts.entries.clear();
          ts.pending.clear();
        }
        // Entries dropped after a removal was sent may still owe an answer.
        for (List<Sent> sents : outstanding.values()) {
          for (Sent s : sents) {
            if (!s.answered && !s.entry.gone) {
              retire(s.entry, gone);
            }
          }
        }
        outstanding.clear();
        closeReason = null;
        engine.forget(this);
      }
    }
    reportGone(gone);
  }

  /** Returns the number of resources waiting to be sent to this subscriber. */
  public synchronized int pendingCount() {
    int n = 0;
    for (TypeState ts : types.values()) {
      n += ts.pending.size();
    }
    return n;
  }

  /** Returns the number of sent responses not yet answered (bounded by the limits). */
  public synchronized int outstandingCount() {
    return outstanding.size();
  }

  /** Returns the message of the last NACK, or null. */
  public synchronized String lastNack() {
    return lastNack;
  }

  /** Returns the number of explicit subscriptions of {@code typeUrl}. */
  public synchronized int subscriptionCount(String typeUrl) {
    TypeState ts = types.get(typeUrl);
    return ts == null ? 0 : ts.explicitCount;
  }

  // --- engine side ---

  /** Caller holds the engine lock. */
  void markChanged(String typeUrl, String name, long version) {
    boolean signal = false;
    synchronized (this) {
      TypeState ts = types.get(typeUrl);
      if (ts == null || closed) {
        return;
      }
      Entry e = ts.entries.get(name);
      if (e == null) {
        if (!ts.wildcard) {
          return;
        }
        e = new Entry(typeUrl, name, version - 1);
        ts.entries.put(name, e);
      }
      e.lastDispatched = Math.max(e.lastDispatched, version);
      signal = queue(ts, e);
    }
    if (signal) {
      drain();
    }
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
      if (close != null) {
        sink.close(close);
        onStreamClosed();
      } else {
        while (sink.isReady()) {
          PushBatch batch = nextBatch();
          if (batch == null) {
            break;
          }
          if (sink.send(batch)) {
            engine.batchesSent.incrementAndGet();
            engine.resourcesSent.addAndGet(batch.resources().size() + batch.removed().size());
          }
        }
      }
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  /** Builds the next response, or returns null when nothing is pending. Runs in the drain loop only. */
  private PushBatch nextBatch() {
    while (true) {
      TypeState ts;
      List<Entry> taken = new ArrayList<>();
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
          Entry e = ts.pending.pollFirst();
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
      List<Entry> answeredNow = new ArrayList<>();
      long nonce;
      synchronized (this) {
        if (closed) {
          return null;
        }
        // Whatever did not fit goes back to the front, in order.
        for (int i = taken.size() - 1; i >= count; i--) {
          Entry e = taken.get(i);
          if (!e.gone && !e.queued) {
            e.queued = true;
            ts.pending.addFirst(e);
          }
        }
        for (int i = 0; i < count; i++) {
          Entry e = taken.get(i);
          if (e.gone) {
            continue;
          }
          Resource r = values[i];
          long to = Math.max(revision, e.lastDispatched);
          if (r != null ? e.sent == r.version() : e.sent == ABSENT) {
            // The client already holds this content: an answer to what it was sent covers the change.
            if (to > e.covered) {
              if (e.lastSent != null && !e.lastSent.answered) {
                e.lastSent.to = Math.max(e.lastSent.to, to);
              } else {
                answeredNow.add(e);
              }
            }
            continue;
          }
          if (r != null) {
            resources.add(r);
            e.sent = r.version();
            to = Math.max(to, r.version());
          } else {
            removed.add(e.name);
            e.sent = ABSENT;
            if (!e.explicit) {
              ts.entries.remove(e.name);
            }
          }
          Sent s = new Sent(e, e.covered, to);
          e.covered = Math.max(e.covered, to);
          e.lastSent = s;
          sents.add(s);
        }
        if (sents.isEmpty() && !ts.syncOwed) {
          nonce = -1;
        } else {
          // Any response answers the pending subscribe request: the client is now in sync.
          ts.syncOwed = false;
          nonce = ++nonceCounter;
          outstanding.put(nonce, sents);
          if (outstanding.size() > engine.limits().maxOutstandingBatches()) {
            Iterator<Map.Entry<Long, List<Sent>>> it = outstanding.entrySet().iterator();
            for (Sent old : it.next().getValue()) {
              old.answered = true; // never will be: stop extending it
            }
            it.remove();
          }
        }
      }
      for (Entry e : answeredNow) {
        long from;
        long to = Math.max(revision, e.lastDispatched);
        synchronized (this) {
          from = e.covered;
          e.covered = Math.max(e.covered, to);
          e.answered = Math.max(e.answered, to);
        }
        engine.convergence().onAnswered(ts.typeUrl, e.name, nodeKind, from, to, false);
      }
      if (nonce > 0) {
        return new PushBatch(ts.typeUrl, revision, resources, removed, Long.toString(nonce));
      }
      // Everything taken was already held by the client: look again.
    }
  }

  /** Caller holds this. */
  private Entry entry(TypeState ts, String name, long since) {
    return ts.entries.computeIfAbsent(name, n -> new Entry(ts.typeUrl, n, since));
  }

  /** Caller holds this; returns whether the entry was newly queued. */
  private static boolean queue(TypeState ts, Entry e) {
    if (e.queued) {
      return false;
    }
    e.queued = true;
    ts.pending.addLast(e);
    return true;
  }

  /** Caller holds this. */
  private static void retire(Entry e, List<Entry> gone) {
    if (!e.gone) {
      e.gone = true;
      gone.add(e);
    }
  }

  private void reportGone(List<Entry> gone) {
    for (Entry e : gone) {
      engine.convergence().onGone(e.typeUrl, e.name, e.answered);
    }
  }


}
