package dev.vertice.controlplane.autoscale;

import java.util.Locale;
import java.util.Optional;

/** {@code Metric} is one load signal a ScaledObject may scale on, by its metadata name. */
public enum Metric {
  /** Requests per second that finished, summed over the gateways (additive: scale by AverageValue). */
  RPS("rps"),
  /** Requests in flight at the end of the last interval, summed over the gateways (additive). */
  INFLIGHT("inflight"),
  /** 99th percentile latency in milliseconds, over the gateways' last intervals (not additive: scale by Value). */
  P99_MS("p99_ms"),
  /** Failed requests / requests, 0..1, over the gateways' last intervals (not additive: scale by Value). */
  ERROR_RATE("error_rate");

  private final String key;

  Metric(String key) {
    this.key = key;
  }

  /** Returns the name used in ScaledObject metadata and metric names, for example {@code rps}. */
  public String key() {
    return key;
  }

  /** Returns the metric named {@code name} (case-insensitive), if any. */
  public static Optional<Metric> parse(String name) {
    String n = name.strip().toLowerCase(Locale.ROOT);
    for (Metric m : values()) {
      if (m.key.equals(n)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  /** Returns the accepted names, for error messages: {@code rps|inflight|p99_ms|error_rate}. */
  public static String names() {
    StringBuilder b = new StringBuilder();
    for (Metric m : values()) {
      b.append(b.length() == 0 ? "" : "|").append(m.key);
    }
    return b.toString();
  }
}
