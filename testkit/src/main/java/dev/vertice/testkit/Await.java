package dev.vertice.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code Await} waits for a condition with a deadline, for tests that observe other threads or
 * processes. It never sleeps a fixed time to "let things settle": it polls the condition every few
 * milliseconds and fails with a description when the deadline passes.
 */
public final class Await {

  /** The deadline used when a test does not choose one. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private Await() {}

  /** Waits until {@code condition} holds, failing after {@link #DEFAULT_TIMEOUT}. */
  public static void until(String description, BooleanSupplier condition) {
    until(description, DEFAULT_TIMEOUT, condition);
  }

  /** Waits until {@code condition} holds, failing with {@code description} after {@code timeout}. */
  public static void until(String description, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + description);
      }
      pause();
    }
  }

  /**
   * Waits until {@code value} returns a non-null result and returns it, failing after {@code
   * timeout}.
   */
  public static <T> T value(String description, Duration timeout, Supplier<T> value) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T result;
    while ((result = value.get()) == null) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + description);
      }
      pause();
    }
    return result;
  }

  private static void pause() {
    try {
      Thread.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting", e);
    }
  }
}
