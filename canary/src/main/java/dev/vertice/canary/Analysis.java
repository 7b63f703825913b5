package dev.vertice.canary;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * {@code Analysis} judges one stage window: the candidate's error rate against the maximum, and its
 * p99 latency against a multiple of the stable version's p99. Pure function of its arguments.
 */
public final class Analysis {

  private Analysis() {}

  /** {@code Outcome} is the result of the checks. */
  public enum Outcome {
    /** The candidate saw fewer requests than the minimum: nothing judged. */
    TOO_FEW_REQUESTS,
    /** Every check passed. */
    PASSED,
    /** At least one check failed; {@link Verdict#check()} names the first. */
    FAILED
  }

  /**
   * {@code Verdict} is what the checks found.
   *
   * @param outcome passed, failed or not judged
   * @param check the first failing check ({@code error_rate} before {@code latency}), {@code
   *     min_requests} when too few requests, or empty when every check passed
   * @param findings the values measured against the thresholds, in a sentence
   */
  public record Verdict(Outcome outcome, String check, String findings) {}

  /**
   * Judges a stage window.
   *
   * @param t the thresholds
   * @param stable the stable version's stats in the window
   * @param candidate the candidate version's stats in the window
   * @param baselineP99 the stable p99 to compare with when the stable version saw no request in
   *     the window (the candidate has all the traffic): the latest one measured, if any
   */
  public static Verdict judge(Thresholds t, WindowStats stable, WindowStats candidate, OptionalDouble baselineP99) {
    if (candidate.requests() < t.minRequests()) {
      return new Verdict(Outcome.TOO_FEW_REQUESTS, Decision.CHECK_MIN_REQUESTS,
          "the candidate saw " + candidate.requests() + " of the " + t.minRequests()
              + " requests needed to judge the stage");
    }
    String failed = "";
    StringBuilder findings = new StringBuilder();
    double errorRate = candidate.errorRate();
    boolean errorsOk = errorRate <= t.maxErrorRate();
    findings.append("candidate error rate ").append(WindowStats.percent(errorRate))
        .append(errorsOk ? " <= " : " > ").append("max ").append(WindowStats.percent(t.maxErrorRate()))
        .append(" (").append(candidate.errors()).append(" of ").append(candidate.requests()).append(" requests)");
    if (!errorsOk) {
      failed = Decision.CHECK_ERROR_RATE;
    }
    OptionalDouble reference = stable.requests() > 0 ? OptionalDouble.of(stable.p99Seconds()) : baselineP99;
    findings.append("; ");
    if (reference.isEmpty()) {
      findings.append("latency not compared: the stable version saw no requests and no earlier stable p99 is known");
    } else {
      double limit = t.maxLatencyRatio() * reference.getAsDouble();
      boolean latencyOk = candidate.p99Seconds() <= limit;
      findings.append("candidate p99 ").append(WindowStats.millis(candidate.p99Seconds()))
          .append(latencyOk ? " <= " : " > ")
          .append(String.format(Locale.ROOT, "%.2f", t.maxLatencyRatio())).append(" x ")
          .append(stable.requests() > 0 ? "stable p99 " : "earlier stable p99 ")
          .append(WindowStats.millis(reference.getAsDouble()))
          .append(" = ").append(WindowStats.millis(limit));
      if (!latencyOk && failed.isEmpty()) {
        failed = Decision.CHECK_LATENCY;
      }
    }
    return failed.isEmpty() ? new Verdict(Outcome.PASSED, "", findings.toString())
        : new Verdict(Outcome.FAILED, failed, findings.toString());
  }
}
