package dev.vertice.chaos;

/**
 * {@code Scenario} is one fault injected into a live cluster, and its healing. The runner calls {@link
 * #run} with the load and the churn already going; the scenario marks the fault window on the run ({@link
 * ChaosRun#faultBegins}, {@link ChaosRun#faultEnds}), heals what it broke before it returns (also when it
 * throws), and returns what it measured. The runner adds the load and churn figures for the window.
 */
public interface Scenario {

  /** The name the command line selects it by: lower case words with dashes, e.g. {@code kill-redis-master}. */
  String name();

  /** One line: what is broken and how it heals. */
  String description();

  /** Injects the fault, heals it and returns what was measured. */
  ScenarioOutcome run(ChaosRun run) throws Exception;
}
