package dev.vertice.gateway.health;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code HealthReport} is the answer to one {@link HealthCheckService#check} call: the service's
 * overall status, each probed instance's status, which layer answered and how old the answer is.
 * Immutable.
 *
 * @param service the canonical service name (or the name as asked when it has no canonical form)
 * @param status the overall status
 * @param layer the layer that produced this answer
 * @param age how long ago the instances were probed (zero for a fresh probe; for {@link
 *     Status#UNKNOWN_SERVICE} and {@link Status#INVALID_NAME}, zero)
 * @param breaker the state of the service's circuit breaker when answering ({@code closed},
 *     {@code open}, {@code half_open}, or {@code none} when no check was ever made)
 * @param instancesTotal the number of instances the snapshot held when probed (may exceed {@code
 *     instances.size()} when the per-check limit applied)
 * @param instances the probed instances, ordered by instance id
 */
public record HealthReport(String service, Status status, Layer layer, Duration age, String breaker,
    int instancesTotal, List<InstanceReport> instances) {

  /** {@code HealthReport} copies {@code instances}. */
  public HealthReport {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(age, "age");
    Objects.requireNonNull(breaker, "breaker");
    instances = List.copyOf(instances);
  }

  /** {@code withOrigin} returns this report as answered by {@code layer}, {@code age} old. */
  public HealthReport withOrigin(Layer layer, Duration age, String breaker) {
    return new HealthReport(service, status, layer, age, breaker, instancesTotal, instances);
  }

  /** {@code httpStatus} is the HTTP status the health-check route answers with. */
  public int httpStatus() {
    return status.httpStatus();
  }

  /** {@code Status} is a service's overall health. */
  public enum Status {
    /** Every probed instance answered healthy. */
    SERVING(200),
    /** Some probed instances answered healthy, some did not. */
    DEGRADED(200),
    /** No probed instance answered healthy (or the breaker is open with no earlier answer). */
    NOT_SERVING(503),
    /** The snapshot holds no instance of the service: the control plane does not know it. */
    UNKNOWN_SERVICE(404),
    /** The name has no canonical form. */
    INVALID_NAME(400),
    /**
     * No cached answer, and probing was refused: more probe rounds than {@code
     * HealthCheckConfig#maxProbeRoundsPerSecond} started in the last second. Nothing was probed or cached.
     */
    RATE_LIMITED(429);

    private final int httpStatus;

    Status(int httpStatus) {
      this.httpStatus = httpStatus;
    }

    /** {@code httpStatus} is the matching HTTP status code. */
    public int httpStatus() {
      return httpStatus;
    }
  }

  /** {@code Layer} names where an answer came from. */
  public enum Layer {
    /** Probed just now for this call (or for a concurrent call this one joined). */
    PROBE,
    /** Layer 1: this gateway's in-process cache. */
    MEMORY,
    /** Layer 2: Redis, shared by the gateways (the probe may have been another gateway's). */
    REDIS,
    /** Layer 3: the service's open circuit breaker, answering without probing. */
    CIRCUIT_BREAKER,
    /** The routing snapshot alone (unknown service, invalid name): nothing probed or cached. */
    SNAPSHOT;

    /** {@code jsonName} is the lower-case name used in JSON. */
    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** {@code InstanceStatus} is one instance's probe result. */
  public enum InstanceStatus {
    /** The probe answered healthy (HTTP 2xx, or grpc.health.v1 SERVING). */
    SERVING,
    /** The probe answered unhealthy, failed to connect, or timed out. */
    NOT_SERVING,
    /** The instance could not be probed (bad health path, no probe slot, check deadline passed). */
    UNKNOWN
  }

  /**
   * {@code InstanceReport} is one instance's probe result.
   *
   * @param instanceId the instance id
   * @param address the instance's address
   * @param port the instance's port
   * @param protocol {@code http} or {@code grpc}
   * @param version the instance's version label
   * @param status the probe result
   * @param detail what the probe saw, e.g. {@code HTTP 200}, {@code timeout after 1000 ms}
   * @param latency how long the probe took (zero when not probed)
   */
  public record InstanceReport(String instanceId, String address, int port, String protocol, String version,
      InstanceStatus status, String detail, Duration latency) {

    /** {@code InstanceReport} checks that no field is null. */
    public InstanceReport {
      Objects.requireNonNull(instanceId, "instanceId");
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(protocol, "protocol");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(detail, "detail");
      Objects.requireNonNull(latency, "latency");
    }
  }
}
