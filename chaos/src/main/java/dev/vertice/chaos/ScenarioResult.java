package dev.vertice.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ScenarioResult} is one scenario's line of the report: the load and churn figures of its fault
 * window (from the fault until the cluster settled after the heal), what the scenario measured, and each
 * target met or missed.
 *
 * @param name the scenario's name
 * @param description what it broke
 * @param faultMillis how long the fault lasted
 * @param load the requests intended from the fault until settled after the heal
 * @param lost acknowledged writes the registry lost or undid (one line each)
 * @param writesFailed churn writes not acknowledged so far, by kind and status (cumulative)
 * @param outcome what the scenario measured
 * @param misses the targets missed, one line each; empty when every target was met
 */
public record ScenarioResult(String name, String description, long faultMillis, LoadDriver.Window load,
    List<String> lost, Map<String, Long> writesFailed, ScenarioOutcome outcome, List<String> misses) {

  /** Failed requests allowed, beyond those in flight to a crashed instance. */
  public static final long TARGET_FAILED = 0;
  /** Acknowledged writes lost allowed. */
  public static final int TARGET_LOST = 0;
  /** A crashed instance out of every gateway's rotation within this (the lease grace). */
  public static final Duration TARGET_OUT_OF_ROTATION = Duration.ofSeconds(5);
  /** Every watcher at the store's version within this after the heal. */
  public static final Duration TARGET_CONVERGENCE = Duration.ofSeconds(2);

  static ScenarioResult of(Scenario s, ScenarioOutcome o, LoadDriver.Window w, ChurnWriter.Verdict v,
      long faultMillis) {
    List<String> misses = new ArrayList<>();
    if (o.skippedReason().isEmpty()) {
      if (w.failedTotal() > TARGET_FAILED) {
        misses.add(w.failedTotal() + " failed requests " + w.failed() + " (target " + TARGET_FAILED + ")");
      }
      if (v.problems().size() > TARGET_LOST) {
        misses.add(v.problems().size() + " acknowledged writes lost (target " + TARGET_LOST + ")");
      }
      o.outOfRotation().filter(d -> d.compareTo(TARGET_OUT_OF_ROTATION) > 0).ifPresent(d -> misses.add(
          "out of rotation after " + d.toMillis() + " ms (target " + TARGET_OUT_OF_ROTATION.toMillis() + " ms)"));
      o.convergence().filter(d -> d.compareTo(TARGET_CONVERGENCE) > 0).ifPresent(d -> misses.add(
          "converged " + d.toMillis() + " ms after the heal (target " + TARGET_CONVERGENCE.toMillis() + " ms)"));
      misses.addAll(o.misses());
    }
    return new ScenarioResult(s.name(), s.description(), faultMillis, w, v.problems(), v.unacknowledged(), o,
        List.copyOf(misses));
  }

  /** Whether every target was met (a skipped scenario meets none and misses none). */
  public boolean passed() {
    return misses.isEmpty();
  }

  public boolean skipped() {
    return outcome.skippedReason().isPresent();
  }

  Optional<Duration> outOfRotation() {
    return outcome.outOfRotation();
  }

  Optional<Duration> convergence() {
    return outcome.convergence();
  }
}
