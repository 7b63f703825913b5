package dev.vertice.chaos;

import dev.vertice.chaos.faults.AlertCheck;
import dev.vertice.chaos.faults.MetricsRecorder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code ScenarioAlerts} records the cluster's metrics while a scenario runs (every control plane's
 * and gateway's {@code /metrics}, once a second, with the jobs of monitoring/prometheus/prometheus.yml)
 * and then says which alerts of monitoring/ would have fired, through {@link AlertCheck}.
 */
final class ScenarioAlerts implements AutoCloseable {

  private final MetricsRecorder recorder;
  private AlertCheck.Result result;

  private ScenarioAlerts(MetricsRecorder recorder) {
    this.recorder = recorder;
  }

  /** Starts recording the cluster's control planes and gateways. */
  static ScenarioAlerts start(ClusterHandle cluster) {
    List<MetricsRecorder.Target> targets = new ArrayList<>();
    for (ClusterProcess cp : cluster.controlPlanes()) {
      targets.add(target("vertice-control-plane", cp));
    }
    for (ClusterProcess gw : cluster.gateways()) {
      targets.add(target("vertice-gateway", gw));
    }
    return new ScenarioAlerts(MetricsRecorder.start(targets, MetricsRecorder.DEFAULT_INTERVAL));
  }

  private static MetricsRecorder.Target target(String job, ClusterProcess p) {
    int admin = ClusterHandle.adminPort(p);
    return new MetricsRecorder.Target(job, p.name(), URI.create("http://127.0.0.1:" + admin + "/metrics"));
  }

  /** Stops recording (once) and evaluates the rules; the result says why when it could not. */
  AlertCheck.Result result() {
    if (result == null) {
      recorder.close();
      MetricsRecorder.Recording rec = recorder.recording();
      Optional<Path> rules = rulesFile();
      try {
        result = rules.isEmpty()
            ? new AlertCheck.Result(false, "monitoring/prometheus/alerts/vertice.yml not found from "
                + Path.of("").toAbsolutePath(), List.of(), List.of())
            : AlertCheck.evaluate(rules.get(), rec);
      } catch (IOException e) {
        result = new AlertCheck.Result(false, e.getMessage(), List.of(), List.of());
      }
    }
    return result;
  }

  /** {@code alerts: ...}, one line for the report's notes. */
  String note() {
    return "alerts (" + recorder.recording().rounds() + " scrapes): " + result().summary();
  }

  @Override
  public void close() {
    recorder.close();
  }

  /** The rule file: under the working directory, or above where this class was loaded from (the checkout). */
  static Optional<Path> rulesFile() {
    if (Files.isRegularFile(AlertCheck.DEFAULT_RULES)) {
      return Optional.of(AlertCheck.DEFAULT_RULES);
    }
    try {
      Path p = Path.of(ScenarioAlerts.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (; p != null; p = p.getParent()) {
        if (Files.isRegularFile(p.resolve(AlertCheck.DEFAULT_RULES))) {
          return Optional.of(p.resolve(AlertCheck.DEFAULT_RULES));
        }
      }
    } catch (Exception e) {
      // no code source: not found
    }
    return Optional.empty();
  }
}
