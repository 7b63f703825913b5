package dev.vertice.launcher;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import dev.vertice.api.canary.v1.Decision;
import dev.vertice.api.canary.v1.Rollout;
import dev.vertice.api.canary.v1.RolloutSpec;
import dev.vertice.api.canary.v1.RolloutState;
import dev.vertice.api.canary.v1.Strategy;
import dev.vertice.api.canary.v1.WindowStats;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * {@code RolloutView} renders a rollout as the text block of {@code vertice canary status}: stage,
 * weights, the latest analysis's numbers for both versions, and what happens next. Pure: time is
 * passed in.
 */
final class RolloutView {

  static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final Duration DEFAULT_STAGE = Duration.ofSeconds(60);
  private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
  private static final Duration DEFAULT_DEADLINE = Duration.ofMinutes(10);
  private static final List<Integer> DEFAULT_STAGES = List.of(5, 25, 50, 100);

  private RolloutView() {}

  static String render(Rollout r, Instant now) {
    RolloutSpec spec = r.getSpec();
    StringBuilder b = new StringBuilder();
    boolean blueGreen = spec.getStrategy() == Strategy.STRATEGY_BLUE_GREEN;
    b.append(String.format(Locale.ROOT, "rollout   %s   %s: %s -> %s (%s)%n", r.getId(), spec.getService(),
        spec.getStableVersion(), spec.getCandidateVersion(), blueGreen ? "blue/green" : "canary"));
    List<Integer> stages = stages(spec);
    b.append(String.format(Locale.ROOT, "state     %s   stage %d/%d%s   policy %s%n", state(r.getState()),
        Math.min(r.getStage() + 1, stages.size()), stages.size(),
        blueGreen ? "" : " (target " + stages.get(Math.min(r.getStage(), stages.size() - 1)) + " %)",
        r.getPolicyConverged() ? "ACKed by every subscriber" : "pushed, waiting for ACKs"));
    int candidate = r.getCandidateWeight();
    b.append(String.format(Locale.ROOT, "weights   %s %d %%   %s %d %%   [%s]%n", spec.getStableVersion(),
        100 - candidate, spec.getCandidateVersion(), candidate, bar(candidate)));
    Decision last = r.getDecisionsCount() == 0 ? null : r.getDecisions(r.getDecisionsCount() - 1);
    if (last != null && (last.hasStable() || last.hasCandidate())) {
      b.append("window    ").append(stats("stable   ", spec.getStableVersion(), last.getStable())).append('\n');
      b.append("          ").append(stats("candidate", spec.getCandidateVersion(), last.getCandidate())).append('\n');
    } else {
      b.append("window    no analysis yet\n");
    }
    if (last != null) {
      b.append(String.format(Locale.ROOT, "last      %s at %s%s: %s%n", kind(last), TIME.format(instant(last.getAt())),
          last.getCheck().isEmpty() ? "" : " [" + last.getCheck() + "]", last.getReason()));
    }
    b.append("next      ").append(next(r, last, now)).append('\n');
    if (!r.getMessage().isEmpty()) {
      b.append("message   ").append(r.getMessage()).append('\n');
    }
    return b.toString();
  }

  /** A one-line summary for {@code canary list}. */
  static String line(Rollout r) {
    RolloutSpec s = r.getSpec();
    return String.format(Locale.ROOT, "%-24s %-20s %-8s -> %-8s %-20s %3d %%", r.getId(), s.getService(),
        s.getStableVersion(), s.getCandidateVersion(), state(r.getState()), r.getCandidateWeight());
  }

  static String state(RolloutState s) {
    return s.name().replace("ROLLOUT_STATE_", "");
  }

  private static String next(Rollout r, Decision last, Instant now) {
    RolloutSpec spec = r.getSpec();
    Duration interval = spec.hasAnalysisInterval() ? duration(spec.getAnalysisInterval()) : DEFAULT_INTERVAL;
    Duration stage = spec.hasStageDuration() ? duration(spec.getStageDuration()) : DEFAULT_STAGE;
    Duration deadline = spec.hasProgressDeadline() ? duration(spec.getProgressDeadline()) : DEFAULT_DEADLINE;
    Instant stageStart = r.hasStageStartedAt() ? instant(r.getStageStartedAt()) : now;
    Instant analysis = last == null ? stageStart.plus(interval) : instant(last.getAt()).plus(interval);
    if (analysis.isBefore(now)) {
      analysis = now;
    }
    return switch (r.getState()) {
      case ROLLOUT_STATE_PROMOTED, ROLLOUT_STATE_ROLLED_BACK, ROLLOUT_STATE_ABORTED -> "nothing: the rollout is over";
      case ROLLOUT_STATE_PAUSED -> "nothing while paused: weights hold (vertice canary resume " + r.getId() + ")";
      case ROLLOUT_STATE_PENDING -> "the first stage's weights are pushed";
      case ROLLOUT_STATE_WAITING_FOR_TRAFFIC -> String.format(Locale.ROOT,
          "analysis at %s; the candidate needs %d requests in the stage; at %s (progress deadline) it %s",
          TIME.format(analysis), minRequests(spec), TIME.format(stageStart.plus(deadline)),
          spec.getDeadlineActionValue() == 2 ? "holds" : "rolls back");
      default -> {
        Instant earliest = stageStart.plus(stage);
        yield String.format(Locale.ROOT, "analysis at %s; the stage may advance from %s (after %s)",
            TIME.format(analysis), TIME.format(earliest.isBefore(now) ? now : earliest), human(stage));
      }
    };
  }

  private static long minRequests(RolloutSpec spec) {
    long m = spec.getThresholds().getMinRequests();
    return m == 0 ? 100 : m;
  }

  private static List<Integer> stages(RolloutSpec spec) {
    if (spec.getStrategy() == Strategy.STRATEGY_BLUE_GREEN) {
      return List.of(100);
    }
    return spec.getStageWeightsCount() == 0 ? DEFAULT_STAGES : spec.getStageWeightsList();
  }

  private static String stats(String role, String version, WindowStats s) {
    return String.format(Locale.ROOT, "%s %-8s %8d req  %6.2f %% errors  p99 %s", role, version, s.getRequests(),
        s.getErrorRate() * 100, s.getRequests() == 0 ? "-" : millis(s.getP99Seconds()));
  }

  private static String millis(double seconds) {
    return String.format(Locale.ROOT, "%.1f ms", seconds * 1000);
  }

  private static String kind(Decision d) {
    return d.getKind().name().replace("DECISION_KIND_", "");
  }

  private static String bar(int candidate) {
    int n = Math.round(candidate / 5f);
    return "#".repeat(n) + ".".repeat(20 - n);
  }

  private static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static Duration duration(com.google.protobuf.Duration d) {
    return Duration.ofMillis(Durations.toMillis(d));
  }

  private static Instant instant(com.google.protobuf.Timestamp t) {
    return Instant.ofEpochMilli(Timestamps.toMillis(t));
  }
}
