package dev.vertice.canary;

/**
 * {@code RolloutStateException} says that a rollout's state does not allow an operation (resuming a
 * rollout that is not paused, promoting a finished one). The rollout is unchanged.
 */
public final class RolloutStateException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message for the operator. */
  public RolloutStateException(String message) {
    super(message);
  }
}
