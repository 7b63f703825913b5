package dev.vertice.common;

/**
 * {@code Ticker} reads a monotonic time source in nanoseconds.
 *
 * <p>Every component takes its time from a {@code Ticker} (and schedules through an injected
 * {@link java.util.concurrent.ScheduledExecutorService}) so that tests can drive leases, backoff
 * and staleness with a fake clock instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {

  /** Returns the current reading in nanoseconds; only differences between readings mean anything. */
  long nanoTime();

  /** Returns the ticker backed by {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
