package dev.vertice.controlplane.canary;

/** {@code RolloutNotFoundException} says that no rollout has the id asked for. */
public final class RolloutNotFoundException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception naming the id. */
  public RolloutNotFoundException(String id) {
    super("no rollout '" + id + "'");
  }
}
