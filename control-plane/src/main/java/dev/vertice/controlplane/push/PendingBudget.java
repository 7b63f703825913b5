package dev.vertice.controlplane.push;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code PendingBudget} accounts the bytes of state that clients' requests make the engine hold,
 * per connection and over the engine (the per-stream part is each {@link Subscriber}'s own), within
 * {@link PushLimits}' pending-bytes bounds.
 *
 * <p>What is counted is what a client chooses: one {@link NameState} (with its map node, queue slot
 * and name) for every explicit subscription and for every name held only through the initial
 * versions of a wildcard. Entries of resources that exist are not counted: the registry bounds them,
 * and their values are shared by every subscriber. The estimate per name is {@link #cost}.
 *
 * <p>Thread-safe and lock-free (a charge that does not fit changes nothing); it takes no lock of the
 * engine or of a subscriber, so it may be called holding either.
 */
final class PendingBudget {

  /**
   * Bytes one held name costs besides its characters: a NameState (~56), a HashMap node (~48), a
   * String and its array header (~40), a queue slot and the version held. Measured: 70,000 names
   * held from one request took 12.4 MiB, about 186 bytes each with ~10-character names.
   */
  static final int ENTRY_OVERHEAD_BYTES = 176;

  private final PushLimits limits;
  private final AtomicLong process = new AtomicLong();
  private final ConcurrentHashMap<Object, AtomicLong> connections = new ConcurrentHashMap<>();

  PendingBudget(PushLimits limits) {
    this.limits = limits;
  }

  /** Returns the estimated bytes of holding {@code name} for one subscriber. */
  static long cost(String name) {
    return ENTRY_OVERHEAD_BYTES + (long) name.length();
  }

  /**
   * Charges {@code bytes} to {@code connection} (null: not known, not counted per connection) and to
   * the process, after the stream's own check ({@code streamHeld} bytes held already).
   *
   * @return null when charged, else why not (and nothing was charged)
   */
  String tryCharge(Object connection, long streamHeld, long bytes) {
    long perStream = limits.maxPendingBytesPerStream();
    if (streamHeld + bytes > perStream) {
      return refusal(bytes, streamHeld, perStream, "this stream", "--max-pending-bytes-per-stream");
    }
    if (connection != null) {
      String[] why = new String[1];
      connections.compute(connection, (k, held) -> {
        long now = held == null ? 0 : held.get();
        long max = limits.maxPendingBytesPerConnection();
        if (now + bytes > max) {
          why[0] = refusal(bytes, now, max, "this connection's streams", "--max-pending-bytes-per-connection");
          return held;
        }
        AtomicLong h = held == null ? new AtomicLong() : held;
        h.addAndGet(bytes);
        return h;
      });
      if (why[0] != null) {
        return why[0];
      }
    }
    long max = limits.maxPendingBytesPerProcess();
    while (true) {
      long now = process.get();
      if (now + bytes > max) {
        releaseConnection(connection, bytes);
        return refusal(bytes, now, max, "all streams of this control plane", "--max-pending-bytes-per-process");
      }
      if (process.compareAndSet(now, now + bytes)) {
        return null;
      }
    }
  }

  /** Gives back {@code bytes} charged to {@code connection} and the process. */
  void release(Object connection, long bytes) {
    if (bytes <= 0) {
      return;
    }
    releaseConnection(connection, bytes);
    process.addAndGet(-bytes);
  }

  /** Returns the bytes charged over the process. */
  long processBytes() {
    return process.get();
  }

  /** Returns the connections with bytes charged (for tests). */
  int connections() {
    return connections.size();
  }

  private void releaseConnection(Object connection, long bytes) {
    if (connection != null) {
      connections.computeIfPresent(connection, (k, held) -> held.addAndGet(-bytes) <= 0 ? null : held);
    }
  }

  private static String refusal(long bytes, long held, long max, String scope, String flag) {
    return "the subscription would make " + scope + " hold about " + (held + bytes) + " bytes of subscribed names ("
        + held + " held, " + bytes + " more), beyond the limit of " + max + " (" + flag
        + "); nothing was subscribed";
  }
}
