package dev.vertice.security.auth;

import dev.vertice.common.Ticker;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code DenialLog} logs authentication and authorization denials at WARNING, naming the identity
 * (or the peer address when there is none) and never a token. The log lines are themselves rate
 * limited: at most {@link #maxLinesPerSecond()} per second; the next line written says how many
 * were suppressed. Thread-safe.
 */
public final class DenialLog {

  /** Default most lines per second. */
  public static final int DEFAULT_MAX_LINES_PER_SECOND = 20;

  private static final Logger log = Logger.getLogger(DenialLog.class.getName());
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private final Ticker ticker;
  private final int maxLinesPerSecond;
  private long windowStart; // guarded by this
  private int linesInWindow; // guarded by this
  private long suppressed; // guarded by this
  private final java.util.concurrent.atomic.AtomicLong total = new java.util.concurrent.atomic.AtomicLong();

  /** Creates a log writing at most {@code maxLinesPerSecond} lines per second of {@code ticker} time. */
  public DenialLog(Ticker ticker, int maxLinesPerSecond) {
    if (maxLinesPerSecond <= 0) {
      throw new IllegalArgumentException("maxLinesPerSecond must be positive: " + maxLinesPerSecond);
    }
    this.ticker = ticker;
    this.maxLinesPerSecond = maxLinesPerSecond;
    this.windowStart = ticker.nanoTime();
  }

  /** Returns a log on the system ticker with the default line rate. */
  public static DenialLog ofDefaults() {
    return new DenialLog(Ticker.system(), DEFAULT_MAX_LINES_PER_SECOND);
  }

  /**
   * Returns how many denials were reported since start, logged or not (the log lines are rate
   * limited; this count is not): exported as {@code vertice_auth_denials_total}.
   */
  public long total() {
    return total.get();
  }

  /** Returns the most lines written per second. */
  public int maxLinesPerSecond() {
    return maxLinesPerSecond;
  }

  /**
   * Logs that {@code who} (an identity's {@link Identity#describe()} or a peer address) was denied
   * {@code what} (a method or an operation) because {@code why}. None of them may hold a secret.
   */
  public void denied(String who, String what, String why) {
    total.incrementAndGet();
    long dropped;
    synchronized (this) {
      long now = ticker.nanoTime();
      if (now - windowStart >= SECOND) {
        windowStart = now;
        linesInWindow = 0;
      }
      if (linesInWindow >= maxLinesPerSecond) {
        suppressed++;
        return;
      }
      linesInWindow++;
      dropped = suppressed;
      suppressed = 0;
    }
    if (log.isLoggable(Level.WARNING)) {
      log.warning("denied " + what + " to " + who + ": " + why
          + (dropped > 0 ? " (" + dropped + " earlier denials not logged: log rate limit)" : ""));
    }
  }
}
