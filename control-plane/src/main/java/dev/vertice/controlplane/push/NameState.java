package dev.vertice.controlplane.push;

import java.util.List;

/**
 * {@code NameState} is one subscribed (or wildcard-delivered) resource name at one {@link
 * Subscriber}: what the client holds of it, which of its changes a sent response covers, and
 * whether it waits to be sent. {@link Sent} and {@link Owed} are the change ranges the
 * convergence tracker is told about.
 *
 * <p>Not thread-safe and has no lock of its own: every field is guarded by the monitor of the
 * subscriber that owns it (the one writer), as the rest of that subscriber's state.
 */
final class NameState {

  /** The client holds nothing for the name. */
  static final long NONE = -1;
  /** The client holds a version we cannot compare (unparsable): always replace it. */
  static final long UNKNOWN = -2;
  /** The client was told the resource does not exist. */
  static final long ABSENT = 0;

  final String typeUrl;
  final String name;
  boolean explicit;
  /** What the client holds: a version, NONE, UNKNOWN or ABSENT. */
  long sent = NONE;
  /**
   * Highest revision whose changes of this name a sent response covers; changes above it that
   * this subscriber was counted for are still owed.
   */
  long covered;
  boolean queued;
  /** Unsubscribed or closed: its answers no longer count, what it owed was abandoned. */
  boolean gone;
  /** Left the map after its removal was sent (wildcard): it owes only its outstanding responses. */
  boolean dropped;
  Sent lastSent;
  /** Bytes charged to the pending budget while in its subscriber's map (0: a resource that exists). */
  long charged;

  NameState(String typeUrl, String name, long since) {
    this.typeUrl = typeUrl;
    this.name = name;
    this.covered = since;
  }

  /**
   * Caller holds the subscriber's monitor (and the engine lock, so that no change above {@code
   * goneAt} counted the subscriber): marks the name gone and records the changes it was counted
   * for but never sent.
   */
  void retire(long goneAt, List<Owed> out) {
    if (gone) {
      return;
    }
    gone = true;
    if (!dropped && goneAt > covered) {
      out.add(new Owed(this, covered, goneAt));
    }
  }

  /** One resource in one sent response: the change range it covers. */
  static final class Sent {
    final NameState entry;
    final long from;
    long to;
    boolean answered;

    Sent(NameState entry, long from, long to) {
      this.entry = entry;
      this.from = from;
      this.to = to;
    }
  }

  /** A range of one name's changes, (from, to], still owed an answer. */
  record Owed(NameState entry, long from, long to) {}
}
