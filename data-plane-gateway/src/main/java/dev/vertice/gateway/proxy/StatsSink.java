package dev.vertice.gateway.proxy;

/**
 * {@code StatsSink} receives the outcome of every proxied request, per service and version (the
 * stats reporter sends them to the control plane for canary analysis). Called on event loops: must
 * not block.
 */
@FunctionalInterface
public interface StatsSink {

  /**
   * {@code record} counts one finished request to {@code service} served by an instance of {@code
   * version}, that took {@code latencyNanos}; {@code error} for 5xx, connection failures and
   * timeouts.
   */
  void record(String service, String version, long latencyNanos, boolean error);

  /** {@code NONE} drops everything. */
  StatsSink NONE = (s, v, l, e) -> {};
}
