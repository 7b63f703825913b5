package dev.vertice.controlplane.server;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code RateWindow} counts ReportStats entries per reporter and in total over fixed one-second
 * windows (seconds of the service's clock) and refuses a batch that would take a reporter, or all
 * of them, past their limit; a refused batch counts nothing. Memory: one counter per reporter seen
 * in the current second, at most one per entry admitted in it. Thread-safe (one lock).
 */
final class RateWindow {

  private final int perReporter;
  private final int total;
  private final Object lock = new Object();
  private final Map<String, Integer> counts = new HashMap<>(); // guarded by lock
  private long second = Long.MIN_VALUE; // guarded by lock
  private int sum; // guarded by lock

  RateWindow(int perReporter, int total) {
    this.perReporter = perReporter;
    this.total = total;
  }

  /**
   * Counts {@code entries} for {@code reporter} in {@code now} (epoch second); returns null when
   * admitted, else why not (nothing is counted then).
   */
  String take(String reporter, long now, int entries) {
    synchronized (lock) {
      if (now != second) {
        second = now;
        sum = 0;
        counts.clear();
      }
      int mine = counts.getOrDefault(reporter, 0);
      if (mine + entries > perReporter) {
        return reporter + " sent " + (mine + entries) + " stats entries this second; at most " + perReporter
            + " per reporter per second (--stats-max-entries-per-reporter): send one batch per interval";
      }
      if (sum + entries > total) {
        return "this control plane received " + (sum + entries) + " stats entries this second; at most " + total
            + " per second from all reporters (--stats-max-entries-per-second): retry at the next interval";
      }
      counts.put(reporter, mine + entries);
      sum += entries;
      return null;
    }
  }
}
