package dev.vertice.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code ScenarioOutcome} is what a {@link Scenario} measured itself: how long a crashed instance stayed
 * in rotation, how long the cluster took to converge after the heal, notes for the report; or why it
 * was skipped. The runner adds the load and churn figures of the fault window.
 */
public final class ScenarioOutcome {

  private final Duration outOfRotation;
  private final Duration convergence;
  private final List<String> notes;
  private final String skipped;
  private final List<String> misses;

  private ScenarioOutcome(Builder b) {
    this.outOfRotation = b.outOfRotation;
    this.convergence = b.convergence;
    this.notes = List.copyOf(b.notes);
    this.skipped = b.skipped;
    this.misses = List.copyOf(b.misses);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A scenario that could not run here (e.g. not root): the reason. */
  public static ScenarioOutcome skipped(String reason) {
    return builder().skipped(reason).build();
  }

  /** Time from the crash until no gateway routed to the crashed instance; empty when nothing crashed. */
  public Optional<Duration> outOfRotation() {
    return Optional.ofNullable(outOfRotation);
  }

  /** Time from the heal until every watcher was at the store's version; empty when not measured. */
  public Optional<Duration> convergence() {
    return Optional.ofNullable(convergence);
  }

  public List<String> notes() {
    return notes;
  }

  public Optional<String> skippedReason() {
    return Optional.ofNullable(skipped);
  }

  /** Targets the scenario itself found missed (e.g. "instance never left rotation"), beyond the runner's. */
  public List<String> misses() {
    return misses;
  }

  /** Builds an outcome; every field is optional. */
  public static final class Builder {
    private Duration outOfRotation;
    private Duration convergence;
    private final List<String> notes = new ArrayList<>();
    private final List<String> misses = new ArrayList<>();
    private String skipped;

    private Builder() {}

    public Builder outOfRotation(Duration d) {
      this.outOfRotation = d;
      return this;
    }

    public Builder convergence(Duration d) {
      this.convergence = d;
      return this;
    }

    public Builder note(String note) {
      notes.add(note);
      return this;
    }

    public Builder miss(String miss) {
      misses.add(miss);
      return this;
    }

    public Builder skipped(String reason) {
      this.skipped = reason;
      return this;
    }

    public ScenarioOutcome build() {
      return new ScenarioOutcome(this);
    }
  }
}
