package dev.vertice.canary;

/** {@code DecisionKind} is what an analysis or an operator decided. */
public enum DecisionKind {
  /** Checks passed and the stage lasted long enough: next stage, or promoted after the last. */
  PROMOTE,
  /** Checks passed, the stage has not lasted long enough yet (or an operator paused or resumed). */
  HOLD,
  /** Too few candidate requests to judge. */
  WAIT,
  /** A check failed, below the failure limit: hold and count it. */
  FAIL,
  /** Roll back (or, from an operator, abort). */
  ROLLBACK
}
