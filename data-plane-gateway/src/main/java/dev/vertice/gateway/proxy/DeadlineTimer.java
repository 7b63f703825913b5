package dev.vertice.gateway.proxy;

import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.util.concurrent.TimeUnit;

/**
 * {@code DeadlineTimer} is one re-armable deadline of a connection (the header timeout, the
 * upstream response timeout), used on the connection's event loop only. Arming and disarming set a
 * field: a check is scheduled only when none is pending early enough, and a check that finds the
 * deadline moved on schedules itself again for the new one. A keep-alive connection answering
 * requests faster than its timeout so schedules about one task per timeout instead of a schedule
 * and a cancel per request. {@link #cancel} (the connection closed) drops the pending check.
 */
final class DeadlineTimer implements Runnable {

  private final EventExecutor loop;
  private final Runnable onExpiry;
  /** The loop's clock (a test's event loop may stop or advance it). */
  private final Ticker ticker;
  private boolean armed;
  /** When the armed deadline runs out, in the loop's {@link Ticker#nanoTime()}. */
  private long deadline;
  /** The pending check, or null. */
  private ScheduledFuture<?> check;
  /** When the pending check runs, in the loop's {@link Ticker#nanoTime()}. */
  private long checkAt;
  /** Counts armings, so that a stale owner's disarm does not disarm a later one. */
  private int generation;

  DeadlineTimer(EventExecutor loop, Runnable onExpiry) {
    this.loop = loop;
    this.onExpiry = onExpiry;
    this.ticker = loop instanceof AbstractScheduledEventExecutor s ? s.ticker() : Ticker.systemTicker();
  }

  /** Arms the timer to expire {@code timeoutNanos} from now; returns the arming's number for {@link #disarm(int)}. */
  int arm(long timeoutNanos) {
    long now = ticker.nanoTime();
    armed = true;
    deadline = now + timeoutNanos;
    if (check != null && checkAt - deadline > 0) {
      // The pending check comes after the new deadline: replace it (a shorter timeout than the last).
      check.cancel(false);
      check = null;
    }
    if (check == null) {
      schedule(now);
    }
    return ++generation;
  }

  /** Whether the timer is armed. */
  boolean armed() {
    return armed;
  }

  /** Disarms the timer (the pending check, if any, stays and finds nothing to do). */
  void disarm() {
    armed = false;
  }

  /** Disarms the timer if {@code arming} (from {@link #arm}) is still the last arming. */
  void disarm(int arming) {
    if (arming == generation) {
      armed = false;
    }
  }

  /** Disarms the timer and drops its pending check: the connection is gone. */
  void cancel() {
    armed = false;
    if (check != null) {
      check.cancel(false);
      check = null;
    }
  }

  private void schedule(long now) {
    checkAt = deadline;
    check = loop.schedule(this, Math.max(0, deadline - now), TimeUnit.NANOSECONDS);
  }

  @Override
  public void run() {
    check = null;
    if (!armed) {
      return;
    }
    long now = ticker.nanoTime();
    if (now - deadline >= 0) {
      armed = false;
      onExpiry.run();
    } else {
      schedule(now);
    }
  }
}
