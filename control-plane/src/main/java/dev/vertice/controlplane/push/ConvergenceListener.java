package dev.vertice.controlplane.push;

/**
 * {@code ConvergenceListener} receives convergence measurements (metrics attach here).
 *
 * <p>Called from push and gRPC threads; implementations must be fast and thread-safe.
 */
public interface ConvergenceListener {

  /** No-op listener. */
  ConvergenceListener NONE = new ConvergenceListener() {};

  /**
   * One subscriber answered a change: {@code nanos} from the change to its ACK (or NACK).
   *
   * @param nodeKind the subscriber's kind, such as "gateway"
   */
  default void onSubscriberAnswered(String typeUrl, String nodeKind, long nanos, boolean nacked) {}

  /**
   * Every subscriber that needed a change has answered: {@code nanos} from the change to the last
   * answer. {@code subscribers} counts them.
   */
  default void onConverged(String typeUrl, String name, long version, long nanos, int subscribers) {}

  /** A change was dropped before converging (too many newer changes, or its subscribers left). */
  default void onAbandoned(String typeUrl, String name, long version) {}

  /**
   * A change is settled on this replica: every one of its {@code subscribers} answered ({@code
   * complete}; {@code nacks} of them NACKed) or it was abandoned (not {@code complete}). Also called
   * at once, with zero subscribers, for a change no subscriber needed, so that a replica without
   * watchers reports too (the canary controller waits on every replica's answer).
   */
  default void onSettled(String typeUrl, String name, long version, int subscribers, int nacks, boolean complete) {}

  /** Returns a listener that calls {@code first}, then {@code second}. */
  static ConvergenceListener both(ConvergenceListener first, ConvergenceListener second) {
    return new ConvergenceListener() {
      @Override
      public void onSubscriberAnswered(String typeUrl, String nodeKind, long nanos, boolean nacked) {
        first.onSubscriberAnswered(typeUrl, nodeKind, nanos, nacked);
        second.onSubscriberAnswered(typeUrl, nodeKind, nanos, nacked);
      }

      @Override
      public void onConverged(String typeUrl, String name, long version, long nanos, int subscribers) {
        first.onConverged(typeUrl, name, version, nanos, subscribers);
        second.onConverged(typeUrl, name, version, nanos, subscribers);
      }

      @Override
      public void onAbandoned(String typeUrl, String name, long version) {
        first.onAbandoned(typeUrl, name, version);
        second.onAbandoned(typeUrl, name, version);
      }

      @Override
      public void onSettled(String typeUrl, String name, long version, int subscribers, int nacks, boolean complete) {
        first.onSettled(typeUrl, name, version, subscribers, nacks, complete);
        second.onSettled(typeUrl, name, version, subscribers, nacks, complete);
      }
    };
  }
}
