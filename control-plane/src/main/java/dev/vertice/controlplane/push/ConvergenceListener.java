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
}
