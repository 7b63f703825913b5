package dev.vertice.demo;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code DemoConfig} describes one demo service instance: who it says it is and how it misbehaves.
 *
 * @param service service name it reports (any text; it is not validated as a registry name)
 * @param instanceId instance id it reports
 * @param host address to listen on
 * @param port TCP port; 0 picks a free one
 * @param version version label it reports (e.g. {@code v1})
 * @param latency delay added to every echo (not to /health or admin calls); zero for none
 * @param errorRate fraction of echoes answered with an error, 0..1
 * @param seed seed of the random source that picks the failing requests
 */
public record DemoConfig(String service, String instanceId, String host, int port, String version, Duration latency,
    double errorRate, long seed) {

  /** Longest latency accepted: 60 s. */
  public static final Duration MAX_LATENCY = Duration.ofSeconds(60);

  /**
   * {@code DemoConfig} checks the fields.
   *
   * @throws IllegalArgumentException naming the field and quoting the value when one is invalid
   */
  public DemoConfig {
    requireText("service", service);
    requireText("instanceId", instanceId);
    requireText("host", host);
    requireText("version", version);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is outside 0..65535");
    }
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative() || latency.compareTo(MAX_LATENCY) > 0) {
      throw new IllegalArgumentException("latency " + latency + " is outside 0.." + MAX_LATENCY);
    }
    if (!(errorRate >= 0 && errorRate <= 1)) {
      throw new IllegalArgumentException("errorRate " + errorRate + " is outside 0..1");
    }
  }

  /** {@code of} returns a well-behaved instance of {@code service} on a free loopback port, version v1. */
  public static DemoConfig of(String service) {
    return new DemoConfig(service, service + "-1", "127.0.0.1", 0, "v1", Duration.ZERO, 0, 1);
  }

  /** {@code withPort} returns a copy listening on {@code p}. */
  public DemoConfig withPort(int p) {
    return new DemoConfig(service, instanceId, host, p, version, latency, errorRate, seed);
  }

  /** {@code withVersion} returns a copy reporting version {@code v}. */
  public DemoConfig withVersion(String v) {
    return new DemoConfig(service, instanceId, host, port, v, latency, errorRate, seed);
  }

  /** {@code withLatency} returns a copy that delays each echo by {@code d}. */
  public DemoConfig withLatency(Duration d) {
    return new DemoConfig(service, instanceId, host, port, version, d, errorRate, seed);
  }

  /** {@code withErrorRate} returns a copy that fails a fraction {@code r} of echoes. */
  public DemoConfig withErrorRate(double r) {
    return new DemoConfig(service, instanceId, host, port, version, latency, r, seed);
  }

  /** {@code withInstanceId} returns a copy reporting instance id {@code id}. */
  public DemoConfig withInstanceId(String id) {
    return new DemoConfig(service, id, host, port, version, latency, errorRate, seed);
  }

  private static void requireText(String name, String v) {
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(name + " must not be empty: '" + v + "'");
    }
  }
}
