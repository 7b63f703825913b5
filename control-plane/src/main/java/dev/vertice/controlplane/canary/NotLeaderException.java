package dev.vertice.controlplane.canary;

/**
 * {@code NotLeaderException} says that this replica does not hold the canary lease, so it may not
 * change rollouts; the caller should retry on another replica.
 */
public final class NotLeaderException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public NotLeaderException() {
    super("this control-plane replica does not hold the canary lease; another replica changes rollouts:"
        + " retry there");
  }
}
