package dev.vertice.controlplane.store;

/**
 * {@code RolloutConflictException} refuses a write made against a revision the rollout no longer
 * has (another writer, possibly on another replica, changed it first, or it does not exist);
 * nothing changed. Re-read the rollout and decide again.
 */
public final class RolloutConflictException extends Exception {
  private static final long serialVersionUID = 1L;

  private final long currentRevision;

  /** Creates the exception; {@code currentRevision} is 0 when the rollout does not exist. */
  public RolloutConflictException(String id, long expectedRevision, long currentRevision) {
    super("rollout '" + id + "' is at revision " + currentRevision + ", not " + expectedRevision
        + (currentRevision == 0 ? " (it does not exist)" : "") + "; re-read it and retry");
    this.currentRevision = currentRevision;
  }

  /** Returns the rollout's revision now, or 0 when it does not exist. */
  public long currentRevision() {
    return currentRevision;
  }
}
