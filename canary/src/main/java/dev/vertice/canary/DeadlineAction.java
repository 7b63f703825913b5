package dev.vertice.canary;

/** {@code DeadlineAction} is what happens when a stage is still undecided at the progress deadline. */
public enum DeadlineAction {
  /** Roll back to the stable version. */
  ROLLBACK,
  /** Keep the current weights, stay {@link RolloutState#WAITING_FOR_TRAFFIC}, and say so. */
  HOLD
}
