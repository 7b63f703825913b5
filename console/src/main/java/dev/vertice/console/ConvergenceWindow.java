package dev.vertice.console;

import dev.vertice.controlplane.push.ConvergenceListener;
import java.util.Arrays;
import java.util.Objects;

/**
 * {@code ConvergenceWindow} keeps the last {@value #SIZE} convergence times (change to the last
 * subscriber's answer) for the console's push page, passing every measurement on to another
 * listener (the metrics). Thread-safe; each record is a few array writes under a lock.
 */
public final class ConvergenceWindow implements ConvergenceListener {

  /** Convergence times kept. */
  public static final int SIZE = 1024;

  /** Percentiles of the window, in milliseconds, over {@code count} changes ({@code total} ever). */
  public record Figures(int count, long total, double p50Millis, double p99Millis, double maxMillis) {}

  private final ConvergenceListener next;
  private final long[] nanos = new long[SIZE];
  private int size;
  private int at;
  private long total;

  /** Creates a window that passes every measurement on to {@code next}. */
  public ConvergenceWindow(ConvergenceListener next) {
    this.next = Objects.requireNonNull(next, "next");
  }

  @Override
  public void onSubscriberAnswered(String typeUrl, String nodeKind, long n, boolean nacked) {
    next.onSubscriberAnswered(typeUrl, nodeKind, n, nacked);
  }

  @Override
  public void onConverged(String typeUrl, String name, long version, long n, int subscribers) {
    synchronized (this) {
      nanos[at] = n;
      at = (at + 1) % SIZE;
      size = Math.min(size + 1, SIZE);
      total++;
    }
    next.onConverged(typeUrl, name, version, n, subscribers);
  }

  @Override
  public void onAbandoned(String typeUrl, String name, long version) {
    next.onAbandoned(typeUrl, name, version);
  }

  @Override
  public void onSettled(String typeUrl, String name, long version, int subscribers, int nacks, boolean complete) {
    next.onSettled(typeUrl, name, version, subscribers, nacks, complete);
  }

  /** Returns the percentiles of the window (zeros when empty). */
  public Figures figures() {
    long[] copy;
    long t;
    synchronized (this) {
      copy = Arrays.copyOf(nanos, size);
      t = total;
    }
    if (copy.length == 0) {
      return new Figures(0, t, 0, 0, 0);
    }
    Arrays.sort(copy);
    return new Figures(copy.length, t, millis(copy, 0.50), millis(copy, 0.99), copy[copy.length - 1] / 1e6);
  }

  private static double millis(long[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }
}
