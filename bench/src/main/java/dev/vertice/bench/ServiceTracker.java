package dev.vertice.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code ServiceTracker} follows what the watchers of one service (in one process) hold and tells
 * when the last of them holds a sequence number: a watcher holding {@code k} holds every change up
 * to {@code k}, since a coalesced push skips values but never goes back. Thread-safe.
 */
final class ServiceTracker {

  /** Receives each sequence number once every watcher holds it, with the moment the last got it. */
  interface Complete {
    void complete(long seq, long micros);
  }

  private final int watchers;
  private final long[] latest;
  private final Map<Long, Integer> holding = new HashMap<>();
  private final Complete complete;

  /** Tracks {@code watchers} watchers that each hold {@code initial} to begin with. */
  ServiceTracker(int watchers, long initial, Complete complete) {
    this.watchers = watchers;
    this.latest = new long[watchers];
    Arrays.fill(latest, initial);
    this.complete = complete;
  }

  /** Records that watcher {@code slot} holds {@code seq} since {@code micros}. */
  synchronized void update(int slot, long seq, long micros) {
    long old = latest[slot];
    if (seq <= old) {
      return;
    }
    latest[slot] = seq;
    for (long k = old + 1; k <= seq; k++) {
      int n = holding.merge(k, 1, Integer::sum);
      if (n == watchers) {
        holding.remove(k);
        complete.complete(k, micros);
      }
    }
  }
}
