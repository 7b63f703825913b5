package dev.vertice.observability;

/**
 * {@code MetricsSource} is what an admin port's {@code /metrics} serves: {@link Metrics} (Micrometer,
 * the control plane's and the gateway's) or {@link SmallMetrics} (the sidecar's).
 */
public interface MetricsSource {

  /** Returns every meter in the Prometheus text exposition format (version 0.0.4). */
  String scrape();
}
