package dev.vertice.canary;

/** {@code Strategy} is how traffic moves from the stable version to the candidate. */
public enum Strategy {
  /** Progressive stages of candidate weight (default 5, 25, 50, 100). */
  CANARY,
  /** One stage: 0 to 100 at once; a rollback switches back to the stable version at once. */
  BLUE_GREEN
}
