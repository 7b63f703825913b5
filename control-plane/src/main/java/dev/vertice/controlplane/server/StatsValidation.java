package dev.vertice.controlplane.server;

import com.google.protobuf.util.Timestamps;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.store.StatsLimits;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** {@code StatsValidation} checks one ReportStats batch and normalises its service names. */
final class StatsValidation {

  /** Most VersionStats in one batch by default ({@link StatsLimits#maxEntriesPerBatch()}). */
  static final int MAX_STATS_PER_BATCH = StatsLimits.DEFAULT_MAX_ENTRIES_PER_BATCH;
  /** Most latency bounds in one VersionStats. */
  static final int MAX_BUCKETS = 64;
  /** Longest reporter id. */
  static final int MAX_REPORTER_LENGTH = 128;

  /** Most requests in flight one VersionStats may report. */
  static final long MAX_IN_FLIGHT = 1_000_000_000L;

  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._-]{1,63}");

  private StatsValidation() {}

  /** Returns the batch's stats with canonical service names, recording every bad field in {@code v}. */
  static List<VersionStats> batch(Validation v, ReportStatsRequest r, StatsLimits limits) {
    long maxRequests = limits.maxRequestsPerEntry();
    if (r.getReporter().isEmpty()) {
      v.violation("reporter", "is empty; name the reporting node, for example \"gateway-1\"");
    } else if (r.getReporter().length() > MAX_REPORTER_LENGTH || r.getReporter().chars().anyMatch(c -> c < 0x20)) {
      v.violation("reporter", "'" + Validation.clip(r.getReporter()) + "' must be 1-" + MAX_REPORTER_LENGTH
          + " printable characters");
    }
    boolean startOk = timestamp(v, "interval_start", r.hasIntervalStart(), r.getIntervalStart());
    boolean endOk = timestamp(v, "interval_end", r.hasIntervalEnd(), r.getIntervalEnd());
    if (startOk && endOk && Timestamps.compare(r.getIntervalEnd(), r.getIntervalStart()) <= 0) {
      v.violation("interval_end", "must be after interval_start");
    }
    if (r.getStatsCount() > limits.maxEntriesPerBatch()) {
      v.violation("stats", r.getStatsCount() + " entries; at most " + limits.maxEntriesPerBatch()
          + " per batch (split the batch; the limit is --stats-max-entries-per-batch)");
      return List.of();
    }
    List<VersionStats> out = new ArrayList<>(r.getStatsCount());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < r.getStatsCount(); i++) {
      VersionStats s = r.getStats(i);
      String f = "stats[" + i + "]";
      String service = v.service(f + ".service", s.getService());
      if (!VERSION.matcher(s.getVersion()).matches()) {
        v.violation(f + ".version", s.getVersion().isEmpty() ? "is empty"
            : "'" + Validation.clip(s.getVersion()) + "' is not valid: 1-63 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
      } else if (service != null && !seen.add(service + "/" + s.getVersion())) {
        v.violation(f, service + "/" + s.getVersion() + " appears more than once in the batch");
      }
      // uint64 fields: a negative Java long is above 2^63.
      long requests = s.getRequests();
      if (requests < 0 || requests > maxRequests) {
        v.violation(f + ".requests", Long.toUnsignedString(requests) + " is above the limit of " + maxRequests
            + " requests per entry in one interval (--stats-max-requests-per-entry)");
        continue;
      }
      if (s.getErrors() < 0 || s.getErrors() > requests) {
        v.violation(f + ".errors", Long.toUnsignedString(s.getErrors()) + " is more than the " + requests
            + " requests");
      }
      latency(v, f, s, maxRequests);
      if (s.getInFlight() < 0 || s.getInFlight() > MAX_IN_FLIGHT) {
        v.violation(f + ".in_flight", Long.toUnsignedString(s.getInFlight()) + " is above the limit of "
            + MAX_IN_FLIGHT);
      }
      if (service != null) {
        out.add(service.equals(s.getService()) ? s : s.toBuilder().setService(service).build());
      }
    }
    return out;
  }

  private static void latency(Validation v, String f, VersionStats s, long maxRequests) {
    int nb = s.getLatencyBoundsSecondsCount();
    int nc = s.getLatencyCountsCount();
    if (nb > MAX_BUCKETS) {
      v.violation(f + ".latency_bounds_seconds", nb + " bounds; at most " + MAX_BUCKETS);
      return;
    }
    for (int k = 0; k < nb; k++) {
      double b = s.getLatencyBoundsSeconds(k);
      if (!(b > 0) || Double.isInfinite(b)) {
        v.violation(f + ".latency_bounds_seconds[" + k + "]", b + " is not a positive finite number of seconds");
        return;
      }
      if (k > 0 && b <= s.getLatencyBoundsSeconds(k - 1)) {
        v.violation(f + ".latency_bounds_seconds[" + k + "]", b + " does not exceed the previous bound "
            + s.getLatencyBoundsSeconds(k - 1) + "; bounds must strictly increase");
        return;
      }
    }
    if (nb == 0 && nc == 0) {
      return;
    }
    if (nc != nb + 1) {
      v.violation(f + ".latency_counts", nc + " counts for " + nb + " bounds; there must be " + (nb + 1)
          + " (the last for requests above the last bound)");
      return;
    }
    long sum = 0;
    for (long c : s.getLatencyCountsList()) {
      if (c < 0 || c > maxRequests) {
        v.violation(f + ".latency_counts", Long.toUnsignedString(c) + " is above the limit of " + maxRequests);
        return;
      }
      sum += c;
    }
    if (sum != s.getRequests()) {
      v.violation(f + ".latency_counts", "sum to " + sum + ", not to the " + s.getRequests() + " requests");
    }
  }

  private static boolean timestamp(Validation v, String field, boolean present, com.google.protobuf.Timestamp t) {
    if (!present) {
      v.violation(field, "is required");
      return false;
    }
    if (!Timestamps.isValid(t)) {
      v.violation(field, "is not a valid timestamp");
      return false;
    }
    return true;
  }
}
