package dev.vertice.bench;

import java.util.OptionalInt;

/**
 * {@code RateSteps} is the search for the highest change rate a target sustains: start at a rate,
 * multiply it by a factor after each step that held, stop at the first step whose p99 exceeds the
 * limit (or that lost changes), or past the highest rate asked for. The answer is the last rate
 * that held.
 */
final class RateSteps {

  private final int start;
  private final double factor;
  private final int max;
  private final double p99LimitMs;
  private int current;
  private int sustained;
  private boolean done;

  /**
   * @param start the first rate, changes per second
   * @param factor how much each step raises the rate (above 1)
   * @param max the highest rate tried
   * @param p99LimitMs a step holds while its p99 stays at or below this
   */
  RateSteps(int start, double factor, int max, double p99LimitMs) {
    if (start <= 0 || max < start) {
      throw new IllegalArgumentException("rates must be positive and max at least start: " + start + ".." + max);
    }
    if (!(factor > 1)) {
      throw new IllegalArgumentException("rate factor must be above 1: " + factor);
    }
    this.start = start;
    this.factor = factor;
    this.max = max;
    this.p99LimitMs = p99LimitMs;
    this.current = start;
  }

  /** Returns the rate of the next step, or empty when the search is over. */
  OptionalInt next() {
    return done ? OptionalInt.empty() : OptionalInt.of(current);
  }

  /**
   * Records the outcome of the step at {@link #next()}: its p99 and whether every change arrived.
   * Returns whether the step held.
   */
  boolean record(double p99Ms, boolean complete) {
    if (done) {
      throw new IllegalStateException("the search is over");
    }
    boolean held = complete && p99Ms <= p99LimitMs;
    if (!held) {
      done = true;
      return false;
    }
    sustained = current;
    long up = Math.max(current + 1L, Math.round(current * factor));
    if (current >= max) {
      done = true;
    } else {
      current = (int) Math.min(max, up);
    }
    return true;
  }

  /** Returns the highest rate that held so far, 0 when none did. */
  int sustained() {
    return sustained;
  }

  int start() {
    return start;
  }
}
