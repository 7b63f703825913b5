package dev.vertice.canary;

import java.time.Instant;
import java.util.Objects;

/**
 * {@code Decision} records one analysis or operator action with the numbers behind it.
 *
 * @param at when it was made
 * @param kind what was decided
 * @param stage the stage (0-based) it was made in
 * @param check the failing check ({@link #CHECK_ERROR_RATE}, {@link #CHECK_LATENCY}, {@link
 *     #CHECK_MIN_REQUESTS}, {@link #CHECK_DEADLINE}), {@link #CHECK_MANUAL} for an operator action,
 *     or empty when every check passed
 * @param stable the stable version's stats in the stage window
 * @param candidate the candidate version's stats in the stage window
 * @param reason the decision in a sentence, with the values measured and the thresholds
 */
public record Decision(Instant at, DecisionKind kind, int stage, String check, WindowStats stable,
    WindowStats candidate, String reason) {

  /** The candidate's error rate exceeded the maximum. */
  public static final String CHECK_ERROR_RATE = "error_rate";
  /** The candidate's p99 exceeded the allowed ratio of the stable p99. */
  public static final String CHECK_LATENCY = "latency";
  /** The candidate saw fewer requests than the minimum. */
  public static final String CHECK_MIN_REQUESTS = "min_requests";
  /** The stage reached the progress deadline undecided. */
  public static final String CHECK_DEADLINE = "deadline";
  /** An operator acted. */
  public static final String CHECK_MANUAL = "manual";

  /** Checks that no component is missing. */
  public Decision {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(check, "check");
    Objects.requireNonNull(stable, "stable");
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(reason, "reason");
  }
}
