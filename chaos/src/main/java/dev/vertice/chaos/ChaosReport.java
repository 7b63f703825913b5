package dev.vertice.chaos;

import dev.vertice.common.JsonStrings;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ChaosReport} renders the results as a table (one line per scenario, then each miss and note) or
 * as JSON, both with the targets.
 */
public final class ChaosReport {

  private ChaosReport() {}

  /** The targets, as the report's header states them. */
  public static String targets() {
    return "targets: " + ScenarioResult.TARGET_FAILED + " failed requests (in flight to a crashed instance excused), "
        + ScenarioResult.TARGET_LOST + " acknowledged writes lost, crashed instance out of rotation <= "
        + ScenarioResult.TARGET_OUT_OF_ROTATION.toSeconds() + " s, converged <= "
        + ScenarioResult.TARGET_CONVERGENCE.toSeconds() + " s after the heal";
  }

  /** The table. */
  public static String table(List<ScenarioResult> results, ChaosSettings s) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "load: %d requests/s per gateway (open loop), churn %d writes/s%n",
        s.ratePerGateway(), s.churnRate()));
    b.append(targets()).append('\n');
    String fmt = "%-30s %7s %8s %7s %8s %9s %5s %9s %9s  %s%n";
    b.append(String.format(Locale.ROOT, fmt, "scenario", "fault", "sent", "failed", "excused", "p99", "lost",
        "rotation", "converge", "result"));
    for (ScenarioResult r : results) {
      if (r.skipped()) {
        b.append(String.format(Locale.ROOT, "%-30s skipped: %s%n", r.name(), r.outcome().skippedReason().get()));
        continue;
      }
      b.append(String.format(Locale.ROOT, fmt, r.name(), seconds(r.faultMillis()), r.load().sent(),
          r.load().failedTotal(), r.load().excused(), String.format(Locale.ROOT, "%.1fms", r.load().p99Millis()),
          r.lost().size(), millis(r.outOfRotation()), millis(r.convergence()), r.passed() ? "pass" : "MISS"));
    }
    for (ScenarioResult r : results) {
      for (String m : r.misses()) {
        b.append("  ").append(r.name()).append(" MISS: ").append(m).append('\n');
      }
      for (String l : r.lost()) {
        b.append("  ").append(r.name()).append(" lost: ").append(l).append('\n');
      }
      for (String n : r.outcome().notes()) {
        b.append("  ").append(r.name()).append(": ").append(n).append('\n');
      }
    }
    long missed = results.stream().filter(r -> !r.passed()).count();
    b.append(missed == 0 ? "every target met\n" : missed + " scenario(s) missed a target\n");
    return b.toString();
  }

  /** The JSON document. */
  public static String json(List<ScenarioResult> results, ChaosSettings s, List<String> timeline) {
    StringBuilder b = new StringBuilder("{\"rate_per_gateway\":").append(s.ratePerGateway())
        .append(",\"churn_rate\":").append(s.churnRate())
        .append(",\"targets\":{\"failed_requests\":").append(ScenarioResult.TARGET_FAILED)
        .append(",\"lost_writes\":").append(ScenarioResult.TARGET_LOST)
        .append(",\"out_of_rotation_ms\":").append(ScenarioResult.TARGET_OUT_OF_ROTATION.toMillis())
        .append(",\"convergence_ms\":").append(ScenarioResult.TARGET_CONVERGENCE.toMillis())
        .append("},\"scenarios\":[");
    for (int i = 0; i < results.size(); i++) {
      ScenarioResult r = results.get(i);
      b.append(i == 0 ? "" : ",").append("{\"name\":").append(JsonStrings.quote(r.name()))
          .append(",\"description\":").append(JsonStrings.quote(r.description()))
          .append(",\"skipped\":").append(JsonStrings.quote(r.outcome().skippedReason().orElse(null)))
          .append(",\"fault_ms\":").append(r.faultMillis())
          .append(",\"requests_sent\":").append(r.load().sent())
          .append(",\"requests_failed\":").append(r.load().failedTotal())
          .append(",\"failed_by_status\":").append(counts(r.load().failed()))
          .append(",\"failed_in_flight_to_crashed\":").append(r.load().excused())
          .append(String.format(Locale.ROOT, ",\"p50_ms\":%.2f,\"p99_ms\":%.2f", r.load().p50Millis(),
              r.load().p99Millis()))
          .append(",\"acknowledged_writes_lost\":").append(r.lost().size())
          .append(",\"lost\":").append(strings(r.lost()))
          .append(",\"writes_failed\":").append(counts(r.writesFailed()))
          .append(",\"out_of_rotation_ms\":").append(ms(r.outOfRotation()))
          .append(",\"convergence_ms\":").append(ms(r.convergence()))
          .append(",\"passed\":").append(r.passed())
          .append(",\"misses\":").append(strings(r.misses()))
          .append(",\"notes\":").append(strings(r.outcome().notes())).append('}');
    }
    b.append("],\"passed\":").append(results.stream().allMatch(ScenarioResult::passed))
        .append(",\"timeline\":").append(strings(timeline)).append("}\n");
    return b.toString();
  }

  private static String counts(Map<String, Long> m) {
    StringBuilder b = new StringBuilder("{");
    m.forEach((k, v) -> b.append(b.length() == 1 ? "" : ",").append(JsonStrings.quote(k)).append(':').append(v));
    return b.append('}').toString();
  }

  private static String strings(List<String> l) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < l.size(); i++) {
      b.append(i == 0 ? "" : ",").append(JsonStrings.quote(l.get(i)));
    }
    return b.append(']').toString();
  }

  private static String ms(Optional<Duration> d) {
    return d.map(x -> Long.toString(x.toMillis())).orElse("null");
  }

  private static String millis(Optional<Duration> d) {
    return d.map(x -> x.toMillis() + "ms").orElse("-");
  }

  private static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
  }
}
