package dev.vertice.canary;

import dev.vertice.common.ServiceNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code RolloutSpec} is a validated rollout request with every default filled in. Build one with
 * {@link #draft()} and {@link Draft#validate()}, which reports every bad field at once.
 *
 * @param service canonical service name
 * @param stableVersion version label of the stable instances
 * @param candidateVersion version label of the candidate instances; differs from stable
 * @param strategy canary or blue/green
 * @param stageWeights candidate weight per stage, strictly increasing, 1..100, the last 100
 * @param stageDuration minimum time in a stage before it may be promoted
 * @param analysisInterval how often a stage is analysed
 * @param thresholds the checks
 * @param failureLimit failed checks in a stage that cause a rollback
 * @param progressDeadline longest time a stage may stay undecided before {@code deadlineAction}
 * @param deadlineAction what happens at the progress deadline
 */
public record RolloutSpec(String service, String stableVersion, String candidateVersion, Strategy strategy,
    List<Integer> stageWeights, Duration stageDuration, Duration analysisInterval, Thresholds thresholds,
    int failureLimit, Duration progressDeadline, DeadlineAction deadlineAction) {

  /** Canary stages when none are given: 5, 25, 50, 100. */
  public static final List<Integer> DEFAULT_STAGE_WEIGHTS = List.of(5, 25, 50, 100);
  /** The one stage of a blue/green rollout. */
  public static final List<Integer> BLUE_GREEN_STAGE_WEIGHTS = List.of(100);
  /** Most stages in a canary. */
  public static final int MAX_STAGES = 20;
  /** Default minimum stage duration: 60 s. */
  public static final Duration DEFAULT_STAGE_DURATION = Duration.ofSeconds(60);
  /** Shortest stage duration accepted. */
  public static final Duration MIN_STAGE_DURATION = Duration.ofSeconds(1);
  /** Longest stage duration accepted. */
  public static final Duration MAX_STAGE_DURATION = Duration.ofHours(24);
  /** Default analysis interval: 10 s. */
  public static final Duration DEFAULT_ANALYSIS_INTERVAL = Duration.ofSeconds(10);
  /** Shortest analysis interval accepted. */
  public static final Duration MIN_ANALYSIS_INTERVAL = Duration.ofMillis(100);
  /** Longest analysis interval accepted. */
  public static final Duration MAX_ANALYSIS_INTERVAL = Duration.ofMinutes(10);
  /** Default failure limit: the first failed check rolls back. */
  public static final int DEFAULT_FAILURE_LIMIT = 1;
  /** Largest failure limit accepted. */
  public static final int MAX_FAILURE_LIMIT = 100;
  /** Default progress deadline: 10 min. */
  public static final Duration DEFAULT_PROGRESS_DEADLINE = Duration.ofMinutes(10);
  /** Longest progress deadline accepted. */
  public static final Duration MAX_PROGRESS_DEADLINE = Duration.ofDays(7);

  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._-]{1,63}");

  /** Checks the invariants that {@link Draft#validate()} establishes. */
  public RolloutSpec {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(stableVersion, "stableVersion");
    Objects.requireNonNull(candidateVersion, "candidateVersion");
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(stageDuration, "stageDuration");
    Objects.requireNonNull(analysisInterval, "analysisInterval");
    Objects.requireNonNull(thresholds, "thresholds");
    Objects.requireNonNull(progressDeadline, "progressDeadline");
    Objects.requireNonNull(deadlineAction, "deadlineAction");
    stageWeights = List.copyOf(stageWeights);
    if (stageWeights.isEmpty() || stageWeights.get(stageWeights.size() - 1) != 100) {
      throw new IllegalArgumentException("stage weights must end at 100: " + stageWeights);
    }
    if (stableVersion.equals(candidateVersion)) {
      throw new IllegalArgumentException("candidate equals stable: " + stableVersion);
    }
  }

  /** Returns an empty draft: every field unset, so every default applies. */
  public static Draft draft() {
    return new Draft();
  }

  /** Returns the number of stages. */
  public int stages() {
    return stageWeights.size();
  }

  /** Returns the candidate weight of stage {@code index} (0-based). */
  public int weight(int index) {
    return stageWeights.get(index);
  }

  /** Returns a draft holding this spec's values, for changing one of them. */
  public Draft toDraft() {
    return new Draft().service(service).stableVersion(stableVersion).candidateVersion(candidateVersion)
        .strategy(strategy).stageWeights(stageWeights).stageDuration(stageDuration)
        .analysisInterval(analysisInterval).maxErrorRate(thresholds.maxErrorRate())
        .maxLatencyRatio(thresholds.maxLatencyRatio()).minRequests(thresholds.minRequests())
        .latencyMargin(thresholds.latencyMargin()).latencySignificance(thresholds.latencySignificance())
        .failureLimit(failureLimit).progressDeadline(progressDeadline).deadlineAction(deadlineAction);
  }

  /**
   * {@code Validated} is the outcome of {@link Draft#validate()}: a spec, or every violation found.
   *
   * @param spec the spec when there is no violation
   * @param violations every bad field, in field order; empty when the spec is valid
   */
  public record Validated(Optional<RolloutSpec> spec, List<Violation> violations) {
    /** Copies the list. */
    public Validated {
      violations = List.copyOf(violations);
    }

    /** Returns whether the draft was valid. */
    public boolean ok() {
      return violations.isEmpty();
    }

    /** Returns the spec or throws {@link IllegalArgumentException} listing every violation. */
    public RolloutSpec orThrow() {
      return spec.orElseThrow(() -> new IllegalArgumentException(describe()));
    }

    /** Returns the violations in one line: {@code "field: description; field: description"}. */
    public String describe() {
      StringBuilder sb = new StringBuilder();
      for (Violation v : violations) {
        if (sb.length() > 0) {
          sb.append("; ");
        }
        sb.append(v.field()).append(": ").append(v.description());
      }
      return sb.toString();
    }
  }

  /**
   * {@code Draft} collects a rollout request as given: a field left {@code null} takes its default.
   * Not thread-safe; {@link #validate()} never throws.
   */
  public static final class Draft {
    private String service;
    private String stableVersion;
    private String candidateVersion;
    private Strategy strategy;
    private List<Long> stageWeights;
    private Duration stageDuration;
    private Duration analysisInterval;
    private Double maxErrorRate;
    private Double maxLatencyRatio;
    private Long minRequests;
    private Duration latencyMargin;
    private Double latencySignificance;
    private Long failureLimit;
    private Duration progressDeadline;
    private DeadlineAction deadlineAction;

    private Draft() {}

    /** The service, canonical or normalisable ({@code OSINT_SERVICE} becomes {@code osint-service}). */
    public Draft service(String v) {
      this.service = v;
      return this;
    }

    /** Version label of the stable instances. */
    public Draft stableVersion(String v) {
      this.stableVersion = v;
      return this;
    }

    /** Version label of the candidate instances. */
    public Draft candidateVersion(String v) {
      this.candidateVersion = v;
      return this;
    }

    /** Canary (default) or blue/green. */
    public Draft strategy(Strategy v) {
      this.strategy = v;
      return this;
    }

    /**
     * Candidate weights per stage; null or empty means 5, 25, 50, 100. Ignored for blue/green.
     * Taken as longs so that unsigned 32-bit values from the wire are judged as they are.
     */
    public Draft stageWeights(List<? extends Number> v) {
      if (v == null) {
        this.stageWeights = null;
      } else {
        List<Long> copy = new ArrayList<>(v.size());
        for (Number n : v) {
          copy.add(n == null ? null : n.longValue());
        }
        this.stageWeights = copy;
      }
      return this;
    }

    /** Minimum time in a stage; default 60 s, 1 s to 24 h. */
    public Draft stageDuration(Duration v) {
      this.stageDuration = v;
      return this;
    }

    /** Analysis interval; default 10 s, 100 ms to 10 min. */
    public Draft analysisInterval(Duration v) {
      this.analysisInterval = v;
      return this;
    }

    /** Highest candidate error rate; default 0.05, in (0, 1]. */
    public Draft maxErrorRate(double v) {
      this.maxErrorRate = v;
      return this;
    }

    /** Highest ratio of candidate p99 to stable p99; default 1.5, in [1, 100]. */
    public Draft maxLatencyRatio(double v) {
      this.maxLatencyRatio = v;
      return this;
    }

    /** Fewest requests per version in a stage window; default 100, in [1, 10^9]. */
    public Draft minRequests(long v) {
      this.minRequests = v;
      return this;
    }

    /** How far the candidate's p99 may exceed the ratio times the stable p99; default 5 ms, 0 to 60 s. */
    public Draft latencyMargin(Duration v) {
      this.latencyMargin = v;
      return this;
    }

    /** Significance level of the latency U test; default 0.01, in (0, 0.5]. */
    public Draft latencySignificance(double v) {
      this.latencySignificance = v;
      return this;
    }

    /** Failed checks before a rollback; default 1, in [1, 100]. */
    public Draft failureLimit(long v) {
      this.failureLimit = v;
      return this;
    }

    /** Progress deadline; default 10 min, at least the stage duration, at most 7 days. */
    public Draft progressDeadline(Duration v) {
      this.progressDeadline = v;
      return this;
    }

    /** Deadline action; default rollback. */
    public Draft deadlineAction(DeadlineAction v) {
      this.deadlineAction = v;
      return this;
    }

    /** Fills in defaults and checks every field, reporting every violation at once. */
    public Validated validate() {
      List<Violation> out = new ArrayList<>();
      String canonical = null;
      if (service == null || service.isBlank()) {
        out.add(new Violation("service", "is empty; " + ServiceNames.describeRule()));
      } else {
        canonical = ServiceNames.normalize(service).orElse(null);
        if (canonical == null) {
          out.add(new Violation("service", "'" + clip(service) + "' is not valid; " + ServiceNames.describeRule()));
        }
      }
      boolean stableOk = version(out, "stable_version", stableVersion);
      boolean candidateOk = version(out, "candidate_version", candidateVersion);
      if (stableOk && candidateOk && stableVersion.equals(candidateVersion)) {
        out.add(new Violation("candidate_version",
            "'" + candidateVersion + "' equals stable_version: a rollout moves traffic between two versions"));
      }
      Strategy strat = strategy == null ? Strategy.CANARY : strategy;
      List<Integer> weights = strat == Strategy.BLUE_GREEN ? BLUE_GREEN_STAGE_WEIGHTS
          : stageWeights == null || stageWeights.isEmpty() ? DEFAULT_STAGE_WEIGHTS : null;
      if (weights == null && weights(out, stageWeights)) {
        weights = stageWeights.stream().map(Long::intValue).toList();
      }
      Duration stage = duration(out, "stage_duration", stageDuration, DEFAULT_STAGE_DURATION, MIN_STAGE_DURATION,
          MAX_STAGE_DURATION);
      duration(out, "analysis_interval", analysisInterval, DEFAULT_ANALYSIS_INTERVAL, MIN_ANALYSIS_INTERVAL,
          MAX_ANALYSIS_INTERVAL);
      double errorRate = maxErrorRate == null ? Thresholds.DEFAULT_MAX_ERROR_RATE : maxErrorRate;
      if (!(errorRate > 0 && errorRate <= 1)) {
        out.add(new Violation("thresholds.max_error_rate", errorRate + " is outside (0, 1]: a fraction, 0.05 is 5 %"));
      }
      double ratio = maxLatencyRatio == null ? Thresholds.DEFAULT_MAX_LATENCY_RATIO : maxLatencyRatio;
      if (!(ratio >= Thresholds.MIN_LATENCY_RATIO && ratio <= Thresholds.MAX_LATENCY_RATIO)) {
        out.add(new Violation("thresholds.max_latency_ratio", ratio
            + " is outside [1, 100]: the candidate's p99 may be at most this multiple of the stable p99"));
      }
      long min = minRequests == null ? Thresholds.DEFAULT_MIN_REQUESTS : minRequests;
      if (min < 1 || min > Thresholds.MAX_MIN_REQUESTS) {
        out.add(new Violation("thresholds.min_requests", min + " is outside [1, " + Thresholds.MAX_MIN_REQUESTS + "]"));
      }
      Duration margin = latencyMargin == null ? Thresholds.DEFAULT_LATENCY_MARGIN : latencyMargin;
      if (margin.isNegative() || margin.compareTo(Thresholds.MAX_LATENCY_MARGIN) > 0) {
        out.add(new Violation("thresholds.latency_margin", format(margin) + " is outside [0s, "
            + format(Thresholds.MAX_LATENCY_MARGIN) + "]: how far the candidate's p99 may exceed the ratio"
            + " times the stable p99"));
      }
      double significance = latencySignificance == null ? Thresholds.DEFAULT_LATENCY_SIGNIFICANCE
          : latencySignificance;
      if (!(significance > 0 && significance <= Thresholds.MAX_LATENCY_SIGNIFICANCE)) {
        out.add(new Violation("thresholds.latency_significance", significance
            + " is outside (0, 0.5]: the U test's significance level, 0.01 is 1 %"));
      }
      long limit = failureLimit == null ? DEFAULT_FAILURE_LIMIT : failureLimit;
      if (limit < 1 || limit > MAX_FAILURE_LIMIT) {
        out.add(new Violation("failure_limit", limit + " is outside [1, " + MAX_FAILURE_LIMIT + "]"));
      }
      Duration deadline = duration(out, "progress_deadline", progressDeadline, DEFAULT_PROGRESS_DEADLINE,
          MIN_STAGE_DURATION, MAX_PROGRESS_DEADLINE);
      if (stage != null && deadline != null && deadline.compareTo(stage) < 0) {
        out.add(new Violation("progress_deadline", format(deadline) + " is shorter than stage_duration "
            + format(stage) + ": no stage could be promoted before its deadline"));
      }
      if (!out.isEmpty()) {
        return new Validated(Optional.empty(), out);
      }
      return new Validated(Optional.of(new RolloutSpec(canonical, stableVersion, candidateVersion, strat, weights,
          stage, analysisInterval == null ? DEFAULT_ANALYSIS_INTERVAL : analysisInterval,
          new Thresholds(errorRate, ratio, min, margin, significance), (int) limit, deadline,
          deadlineAction == null ? DeadlineAction.ROLLBACK : deadlineAction)), out);
    }

    private static boolean version(List<Violation> out, String field, String v) {
      if (v == null || v.isEmpty()) {
        out.add(new Violation(field, "is empty; a version label such as 'v1' is required"));
        return false;
      }
      if (!VERSION.matcher(v).matches()) {
        out.add(new Violation(field, "'" + clip(v)
            + "' is not valid: 1-63 characters of A-Z, a-z, 0-9, '.', '_' and '-'"));
        return false;
      }
      return true;
    }

    /** Checks canary stage weights; returns whether they are valid. */
    private static boolean weights(List<Violation> out, List<Long> w) {
      int before = out.size();
      if (w.size() > MAX_STAGES) {
        out.add(new Violation("stage_weights", w.size() + " stages; at most " + MAX_STAGES));
        return false;
      }
      for (int i = 0; i < w.size(); i++) {
        Long x = w.get(i);
        String field = "stage_weights[" + i + "]";
        if (x == null || x < 1 || x > 100) {
          out.add(new Violation(field, x + " is outside 1..100"));
        } else if (i > 0 && w.get(i - 1) != null && x <= w.get(i - 1)) {
          out.add(new Violation(field, x + " does not exceed the previous stage's " + w.get(i - 1)
              + ": weights must strictly increase"));
        }
      }
      Long last = w.get(w.size() - 1);
      if (last != null && last >= 1 && last < 100) {
        out.add(new Violation("stage_weights[" + (w.size() - 1) + "]",
            last + " is not 100: the last stage moves all traffic to the candidate"));
      }
      return out.size() == before;
    }

    private static Duration duration(List<Violation> out, String field, Duration v, Duration dflt, Duration min,
        Duration max) {
      if (v == null) {
        return dflt;
      }
      if (v.compareTo(min) < 0 || v.compareTo(max) > 0) {
        out.add(new Violation(field, format(v) + " is outside [" + format(min) + ", " + format(max) + "]"));
        return null;
      }
      return v;
    }

    private static String clip(String s) {
      return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
  }

  /** Formats a duration the way operators write it: {@code 90s}, {@code 250ms}, {@code 10m}. */
  static String format(Duration d) {
    if (d.isNegative()) {
      return "-" + format(d.negated());
    }
    if (d.isZero()) {
      return "0s";
    }
    if (d.getNano() % 1_000_000 != 0) {
      return d.toString();
    }
    if (d.getNano() != 0) {
      return d.toMillis() + "ms";
    }
    long s = d.getSeconds();
    if (s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
