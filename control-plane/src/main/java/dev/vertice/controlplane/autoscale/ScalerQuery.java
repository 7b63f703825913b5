package dev.vertice.controlplane.autoscale;

import dev.vertice.common.ServiceNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code ScalerQuery} is what a KEDA ScaledObject asks for, parsed from its trigger metadata: the
 * service (canonical name), optionally one version, the metric and its target per replica.
 *
 * <p>Metadata keys: {@code service} (required), {@code version} (optional: all versions when
 * absent), {@code metric} ({@code rps|inflight|p99_ms|error_rate}, default {@code rps}), {@code
 * target} (required: a positive number, the metric's value one replica should carry). Other keys
 * (KEDA adds {@code scalerAddress} and the TLS settings) are ignored.
 *
 * @param service canonical service name
 * @param version version label, or null for every version
 * @param metric the signal to scale on
 * @param target the target value per replica, positive
 */
public record ScalerQuery(String service, String version, Metric metric, double target) {

  /** Metadata key naming the service. */
  public static final String SERVICE = "service";
  /** Metadata key naming the version (optional). */
  public static final String VERSION = "version";
  /** Metadata key naming the metric (optional, default rps). */
  public static final String METRIC = "metric";
  /** Metadata key holding the target per replica. */
  public static final String TARGET = "target";
  /** Largest target accepted. */
  public static final double MAX_TARGET = 1e12;

  private static final Pattern VERSION_LABEL = Pattern.compile("[A-Za-z0-9._-]{1,63}");
  private static final int MAX_QUOTED = 64;

  /** {@code Problem} is one bad metadata key and why. */
  public record Problem(String key, String description) {}

  /** {@code Parsed} is either a query or the problems found (every one, not just the first). */
  public record Parsed(Optional<ScalerQuery> query, List<Problem> problems) {}

  /** Parses the trigger metadata of a ScaledObject. */
  public static Parsed parse(Map<String, String> metadata) {
    List<Problem> problems = new ArrayList<>();
    String rawService = metadata.get(SERVICE);
    String service = null;
    if (rawService == null || rawService.isBlank()) {
      problems.add(new Problem(SERVICE, "is required: the Vertice service to scale on, for example \"orders\""));
    } else {
      Optional<String> canonical = ServiceNames.normalize(rawService.strip());
      if (canonical.isEmpty()) {
        problems.add(new Problem(SERVICE, "'" + clip(rawService) + "' is not a valid service name; "
            + ServiceNames.describeRule()));
      } else {
        service = canonical.get();
      }
    }
    String version = metadata.get(VERSION);
    if (version != null) {
      version = version.strip();
      if (version.isEmpty()) {
        version = null;
      } else if (!VERSION_LABEL.matcher(version).matches()) {
        problems.add(new Problem(VERSION, "'" + clip(version) + "' is not a valid version label: 1-63 characters"
            + " of A-Z, a-z, 0-9, '.', '_' and '-' (omit the key for every version)"));
      }
    }
    Metric metric = Metric.RPS;
    String rawMetric = metadata.get(METRIC);
    if (rawMetric != null && !rawMetric.isBlank()) {
      Optional<Metric> m = Metric.parse(rawMetric);
      if (m.isEmpty()) {
        problems.add(new Problem(METRIC, "'" + clip(rawMetric) + "' is not a metric; use one of " + Metric.names()));
      } else {
        metric = m.get();
      }
    }
    double target = Double.NaN;
    String rawTarget = metadata.get(TARGET);
    if (rawTarget == null || rawTarget.isBlank()) {
      problems.add(new Problem(TARGET, "is required: the " + metric.key() + " one replica should carry, for"
          + " example \"100\""));
    } else {
      try {
        target = Double.parseDouble(rawTarget.strip());
      } catch (NumberFormatException e) {
        target = Double.NaN;
      }
      if (!(target > 0 && target <= MAX_TARGET)) {
        problems.add(new Problem(TARGET, "'" + clip(rawTarget) + "' is not a positive number up to " + (long) MAX_TARGET));
      }
    }
    if (!problems.isEmpty()) {
      return new Parsed(Optional.empty(), List.copyOf(problems));
    }
    return new Parsed(Optional.of(new ScalerQuery(service, version, metric, target)), List.of());
  }

  /**
   * Returns the metric name of this query for KEDA: lower case, '-' for '_', for example {@code
   * vertice-rps-orders} or {@code vertice-p99-ms-orders-v2}.
   */
  public String metricName() {
    String name = "vertice-" + metric.key() + "-" + service + (version == null ? "" : "-" + version);
    return name.toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  private static String clip(String s) {
    String t = s.length() > MAX_QUOTED ? s.substring(0, MAX_QUOTED) + "..." : s;
    StringBuilder b = new StringBuilder(t.length());
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return b.toString();
  }
}
