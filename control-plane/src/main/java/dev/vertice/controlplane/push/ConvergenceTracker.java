package dev.vertice.controlplane.push;

import dev.vertice.common.Ticker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code ConvergenceTracker} measures, per change, the time until every subscriber that needed it
 * has answered (ACK or NACK).
 *
 * <p>A subscriber that needed version {@code v} of a resource answers it by answering any response
 * that covers {@code v}: because pushes coalesce, one ACK of a newer version answers every older
 * change it replaced. Memory is bounded: at most {@code maxChangesPerResource} changes per
 * resource wait; older ones are dropped as abandoned.
 *
 * <p>Thread-safe. Its own lock is a leaf: listeners and futures are called after releasing it
 * (though possibly under the caller's locks), and a failing listener is logged, never propagated.
 */
final class ConvergenceTracker {

  private static final class Change {
    final long version;
    final long changedAtNanos;
    final int subscribers;
    int remaining;
    int nacks;
    CompletableFuture<Convergence> future;

    Change(long version, long changedAtNanos, int subscribers) {
      this.version = version;
      this.changedAtNanos = changedAtNanos;
      this.subscribers = subscribers;
      this.remaining = subscribers;
    }
  }

  private record Key(String typeUrl, String name) {}

  private final Object lock = new Object();
  private final Map<Key, ArrayDeque<Change>> pending = new HashMap<>();
  private final Ticker ticker;
  private final ConvergenceListener listener;
  private final int maxChangesPerResource;

  ConvergenceTracker(Ticker ticker, ConvergenceListener listener, int maxChangesPerResource) {
    this.ticker = ticker;
    this.listener = listener;
    this.maxChangesPerResource = maxChangesPerResource;
  }

  /** Records a change that {@code subscribers} subscribers need. */
  void onChange(String typeUrl, String name, long version, long changedAtNanos, int subscribers) {
    if (subscribers == 0) {
      notify(() -> listener.onSettled(typeUrl, name, version, 0, 0, true));
      return;
    }
    Change dropped = null;
    synchronized (lock) {
      ArrayDeque<Change> changes = pending.computeIfAbsent(new Key(typeUrl, name), k -> new ArrayDeque<>());
      changes.addLast(new Change(version, changedAtNanos, subscribers));
      if (changes.size() > maxChangesPerResource) {
        dropped = changes.pollFirst();
      }
    }
    if (dropped != null) {
      abandon(typeUrl, name, dropped);
    }
  }

  /**
   * Records that one subscriber answered every change of the resource with a version in {@code
   * (fromExclusive, toInclusive]}.
   */
  void onAnswered(String typeUrl, String name, String nodeKind, long fromExclusive, long toInclusive, boolean nacked) {
    if (toInclusive <= fromExclusive) {
      return;
    }
    long now = ticker.nanoTime();
    // Per ACK, the common case completes nothing: no list, no callback object.
    List<Change> done = null;
    long lastAnsweredChangeAt = Long.MIN_VALUE;
    synchronized (lock) {
      Key key = new Key(typeUrl, name);
      ArrayDeque<Change> changes = pending.get(key);
      if (changes == null) {
        return;
      }
      for (Iterator<Change> it = changes.iterator(); it.hasNext(); ) {
        Change c = it.next();
        if (c.version <= fromExclusive) {
          continue;
        }
        if (c.version > toInclusive) {
          break;
        }
        lastAnsweredChangeAt = c.changedAtNanos;
        if (nacked) {
          c.nacks++;
        }
        if (--c.remaining == 0) {
          it.remove();
          if (done == null) {
            done = new ArrayList<>(1);
          }
          done.add(c);
        }
      }
      if (changes.isEmpty()) {
        pending.remove(key);
      }
    }
    if (lastAnsweredChangeAt != Long.MIN_VALUE) {
      try {
        listener.onSubscriberAnswered(typeUrl, nodeKind, now - lastAnsweredChangeAt, nacked);
      } catch (RuntimeException e) {
        Logger.getLogger(ConvergenceTracker.class.getName()).log(Level.WARNING, "convergence listener failed", e);
      }
    }
    if (done == null) {
      return;
    }
    for (Change c : done) {
      long nanos = now - c.changedAtNanos;
      notify(() -> listener.onConverged(typeUrl, name, c.version, nanos, c.subscribers));
      notify(() -> listener.onSettled(typeUrl, name, c.version, c.subscribers, c.nacks, true));
      if (c.future != null) {
        c.future.complete(new Convergence(c.version, nanos, c.subscribers, c.nacks, true));
      }
    }
  }

  /**
   * Records that a subscriber will never answer the changes it was counted for in {@code
   * (fromExclusive, toInclusive]} (it left, or its responses were forgotten).
   */
  void onGone(String typeUrl, String name, long fromExclusive, long toInclusive) {
    if (toInclusive <= fromExclusive) {
      return;
    }
    List<Change> done = new ArrayList<>(1);
    synchronized (lock) {
      Key key = new Key(typeUrl, name);
      ArrayDeque<Change> changes = pending.get(key);
      if (changes == null) {
        return;
      }
      for (Iterator<Change> it = changes.iterator(); it.hasNext(); ) {
        Change c = it.next();
        if (c.version > toInclusive) {
          break;
        }
        if (c.version > fromExclusive && --c.remaining == 0) {
          it.remove();
          done.add(c);
        }
      }
      if (changes.isEmpty()) {
        pending.remove(key);
      }
    }
    for (Change c : done) {
      abandon(typeUrl, name, c);
    }
  }

  /**
   * Returns a future that completes when the change of {@code name} at {@code version} has
   * converged, or at once when nothing waits for it (no subscriber needed it, or it converged).
   */
  CompletableFuture<Convergence> whenConverged(String typeUrl, String name, long version) {
    synchronized (lock) {
      ArrayDeque<Change> changes = pending.get(new Key(typeUrl, name));
      if (changes != null) {
        for (Change c : changes) {
          if (c.version == version) {
            if (c.future == null) {
              c.future = new CompletableFuture<>();
            }
            return c.future;
          }
        }
      }
    }
    return CompletableFuture.completedFuture(new Convergence(version, 0, 0, 0, true));
  }

  /** Runs a listener callback; a failing listener must not break pushes. */
  private static void notify(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      Logger.getLogger(ConvergenceTracker.class.getName()).log(Level.WARNING, "convergence listener failed", e);
    }
  }

  /** Returns the number of changes still waiting for answers. */
  int waitingChanges() {
    synchronized (lock) {
      return pending.values().stream().mapToInt(ArrayDeque::size).sum();
    }
  }

  private void abandon(String typeUrl, String name, Change c) {
    notify(() -> listener.onAbandoned(typeUrl, name, c.version));
    notify(() -> listener.onSettled(typeUrl, name, c.version, c.subscribers, c.nacks, false));
    if (c.future != null) {
      c.future.complete(new Convergence(c.version, ticker.nanoTime() - c.changedAtNanos,
          c.subscribers, c.nacks, false));
    }
  }
}
