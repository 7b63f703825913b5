package dev.vertice.canary;

import java.util.Locale;
import java.util.Optional;

/**
 * {@code Analysis} judges one stage window. Pure function of its arguments.
 *
 * <p>The rule, in order:
 *
 * <ol>
 *   <li><b>Evidence.</b> The candidate must have seen at least {@code minRequests} requests in the
 *       window, or nothing is judged ({@link Outcome#TOO_FEW_REQUESTS}).
 *   <li><b>Errors.</b> The candidate's error rate must be at most {@code maxErrorRate}.
 *   <li><b>Latency.</b> The reference is the stable window when it too holds {@code minRequests}
 *       requests, else the newest earlier stable window that did (the baseline: at a 100 % stage
 *       the stable version sees nothing), else latency is not compared. The candidate fails only
 *       when both hold:
 *       <ul>
 *         <li>its p99 exceeds {@code maxLatencyRatio} x the reference p99 + {@code latencyMargin};
 *         <li>the one-sided Mann-Whitney U test of its latencies against the reference latencies
 *             multiplied by {@code maxLatencyRatio} (the effect size) gives {@code p <
 *             latencySignificance}: the whole distribution, not only a few slow requests in the
 *             tail, is slower than 1.5 x stable.
 *       </ul>
 *       When a window carries no latency histogram (a reporter that measures none, a decision
 *       stored before histograms were kept), the U test cannot run and the p99 comparison decides
 *       alone; the findings say so.
 * </ol>
 *
 * <p>A p99 over a hundred requests is the second or third slowest request: one pause of the
 * machine moves it by tens of milliseconds, which a ratio alone reads as a regression. The margin
 * absorbs the bucket coarseness at low latencies (a request in the 10-25 ms bucket reads as up to
 * 25 ms) and the U test asks whether the candidate is slower as a whole. A regression confined to
 * the slowest 1 % of requests, the rest unchanged, is therefore not caught by this check.
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
   * @param baseline the newest earlier stable window with at least {@code minRequests} requests,
   *     the latency reference when the stable window holds fewer
   */
  public static Verdict judge(Thresholds t, WindowStats stable, WindowStats candidate, Optional<WindowStats> baseline) {
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
    findings.append("; ");
    boolean current = stable.requests() >= t.minRequests();
    Optional<WindowStats> reference = current ? Optional.of(stable) : baseline;
    if (reference.isEmpty()) {
      findings.append("latency not compared: the stable version saw ").append(stable.requests()).append(" of the ")
          .append(t.minRequests()).append(" requests needed in the window and no earlier stable window had them");
    } else if (!latency(t, reference.get(), current ? "stable" : "earlier stable", candidate, findings)
        && failed.isEmpty()) {
      failed = Decision.CHECK_LATENCY;
    }
    return failed.isEmpty() ? new Verdict(Outcome.PASSED, "", findings.toString())
        : new Verdict(Outcome.FAILED, failed, findings.toString());
  }

  /** Compares the latencies; appends the figures and returns whether the check passed. */
  private static boolean latency(Thresholds t, WindowStats reference, String name, WindowStats candidate,
      StringBuilder findings) {
    double ratio = t.maxLatencyRatio();
    double limit = ratio * reference.p99Seconds() + t.latencyMarginSeconds();
    boolean p99Above = candidate.p99Seconds() > limit;
    findings.append("candidate p99 ").append(WindowStats.millis(candidate.p99Seconds()))
        .append(p99Above ? " > " : " <= ").append(ratio(ratio)).append(" x ").append(name).append(" p99 ")
        .append(WindowStats.millis(reference.p99Seconds())).append(" + margin ")
        .append(WindowStats.millis(t.latencyMarginSeconds())).append(" = ").append(WindowStats.millis(limit));
    boolean testable = !candidate.latency().isEmpty() && !reference.latency().isEmpty();
    MannWhitney.Result u = testable ? MannWhitney.slowerThan(candidate.latency(), reference.latency(), ratio) : null;
    boolean slower = u != null && u.pValue() < t.latencySignificance();
    if (u != null) {
      findings.append("; Mann-Whitney U, candidate against ").append(ratio(ratio)).append(" x ").append(name)
          .append(" latencies (").append(u.n1()).append(" vs ").append(u.n2()).append(" requests): ")
          .append(u.describe()).append(slower ? " < " : " >= ").append(fmt(t.latencySignificance()))
          .append(", candidate slower in ").append(WindowStats.percent(u.probabilityGreater())).append(" of pairs");
    }
    if (!p99Above) {
      return true;
    }
    if (u == null) {
      findings.append("; no latency histogram to test the whole distribution: the p99 decides");
      return false;
    }
    if (!slower) {
      findings.append("; the p99 is above the limit but the distribution is not significantly slower than ")
          .append(ratio(ratio)).append(" x ").append(name).append(": tail noise, not a regression");
      return true;
    }
    return false;
  }

  private static String ratio(double r) {
    return String.format(Locale.ROOT, "%.2f", r);
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%s", v);
  }
}
