package dev.vertice.canary;

/** {@code RolloutState} is where a rollout stands. */
public enum RolloutState {
  /** Created; the first stage's weights are not yet pushed. */
  PENDING,
  /** In a stage, analysing. */
  PROGRESSING,
  /** Paused by an operator: weights frozen, no analysis. */
  PAUSED,
  /** In a stage whose candidate saw fewer requests than the minimum. */
  WAITING_FOR_TRAFFIC,
  /** Final: the candidate is at 100 %. */
  PROMOTED,
  /** Final: the candidate is at 0 %; the last decision says why. */
  ROLLED_BACK,
  /** Final: stopped by an operator, the stable version at 100 %. */
  ABORTED;

  /** Returns whether the rollout still moves (PENDING, PROGRESSING, PAUSED, WAITING_FOR_TRAFFIC). */
  public boolean isActive() {
    return !isFinal();
  }

  /** Returns whether the rollout has ended (PROMOTED, ROLLED_BACK, ABORTED). */
  public boolean isFinal() {
    return this == PROMOTED || this == ROLLED_BACK || this == ABORTED;
  }

  /** Returns whether the controller analyses the rollout in this state. */
  public boolean isAnalysed() {
    return this == PROGRESSING || this == WAITING_FOR_TRAFFIC;
  }
}
