package dev.vertice.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * {@code Arrivals} gathers, on the bench's side, the watcher processes' reports of the changes
 * they hold: a change the bench {@link #expect expects} completes once every process holding
 * watchers of its service has reported it, with the latest of their times (the last watcher).
 * Reports of changes nobody expects (initial state, warm-up already given up) are dropped.
 */
final class Arrivals {

  private record Key(int service, long seq) {}

  private static final class Pending {
    int remaining;
    long last = Long.MIN_VALUE;
    final CompletableFuture<Long> done = new CompletableFuture<>();

    Pending(int remaining) {
      this.remaining = remaining;
    }
  }

  private final int[] processesPerService;
  private final ConcurrentMap<Key, Pending> pending = new ConcurrentHashMap<>();

  /** {@code processesPerService[s]}: how many watcher processes hold watchers of service {@code s}. */
  Arrivals(int[] processesPerService) {
    this.processesPerService = processesPerService.clone();
  }

  /**
   * Returns a future completed with the wall-clock microseconds at which the last watcher of
   * {@code service} held {@code seq}. Call before the change is written.
   */
  CompletableFuture<Long> expect(int service, long seq) {
    Pending p = new Pending(processesPerService[service]);
    pending.put(new Key(service, seq), p);
    return p.done;
  }

  /** Stops waiting for a change (given up): a late report of it is dropped. */
  void forget(int service, long seq) {
    pending.remove(new Key(service, seq));
  }

  /** Records one process's report: its last watcher of {@code service} held {@code seq} at {@code micros}. */
  void report(int service, long seq, long micros) {
    Key k = new Key(service, seq);
    Pending p = pending.get(k);
    if (p == null) {
      return;
    }
    boolean done;
    synchronized (p) {
      p.last = Math.max(p.last, micros);
      done = --p.remaining == 0;
    }
    if (done) {
      pending.remove(k);
      p.done.complete(p.last);
    }
  }

  /** Parses one line of a watcher process ({@code seen S SEQ MICROS}) into a report; other lines are ignored. */
  void accept(String line) {
    if (!line.startsWith("seen ")) {
      return;
    }
    String[] f = line.split(" ");
    if (f.length == 4) {
      report(Integer.parseInt(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
    }
  }
}
