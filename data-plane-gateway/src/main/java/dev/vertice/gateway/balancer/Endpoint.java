package dev.vertice.gateway.balancer;

import dev.vertice.common.PeakEwma;
import dev.vertice.common.Ticker;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code Endpoint} is one upstream instance as a balancer sees it: an immutable identity (service,
 * instance id, address, port, version label, zone, weight) plus a live count of requests in flight
 * and a latency estimate ({@link PeakEwma}).
 *
 * <p>The in-flight counter and the latency estimate are shared by every routing snapshot that holds
 * the same instance (see {@link EndpointKey}), so least-request and peak-EWMA balancing keep their
 * memory when the snapshot changes. Thread-safe.
 */
public final class Endpoint {

  private final EndpointKey key;
  private final String version;
  private final String zone;
  private final int weight;
  private final AtomicInteger active;
  private final PeakEwma latency;
  private final Object state;
  private final String hostPort;

  /**
   * {@code Endpoint} creates an endpoint.
   *
   * @param key the instance's identity
   * @param version its version label (canary subset)
   * @param weight relative weight, at least 1
   * @param active the shared in-flight counter of this instance
   * @param state an opaque per-instance object owned by the caller (breaker, outlier state), may be null
   */
  public Endpoint(EndpointKey key, String version, int weight, AtomicInteger active, Object state) {
    this(key, version, "", weight, active, new PeakEwma(Ticker.system(), PeakEwma.DEFAULT_DECAY), state);
  }

  /**
   * {@code Endpoint} creates an endpoint in a zone, with a shared latency estimate.
   *
   * @param key the instance's identity
   * @param version its version label (canary subset)
   * @param zone its zone, empty when none
   * @param weight relative weight, at least 1
   * @param active the shared in-flight counter of this instance
   * @param latency the shared latency estimate of this instance
   * @param state an opaque per-instance object owned by the caller (breaker, outlier state), may be null
   */
  public Endpoint(EndpointKey key, String version, String zone, int weight, AtomicInteger active,
      PeakEwma latency, Object state) {
    this.key = Objects.requireNonNull(key, "key");
    this.hostPort = key.hostPort();
    this.version = Objects.requireNonNull(version, "version");
    this.zone = Objects.requireNonNull(zone, "zone");
    this.latency = Objects.requireNonNull(latency, "latency");
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be at least 1: " + weight);
    }
    this.weight = weight;
    this.active = Objects.requireNonNull(active, "active");
    this.state = state;
  }

  /** {@code key} returns the instance's identity. */
  public EndpointKey key() {
    return key;
  }

  /** {@code service} returns the canonical service name. */
  public String service() {
    return key.service();
  }

  /** {@code instanceId} returns the instance id. */
  public String instanceId() {
    return key.instanceId();
  }

  /** {@code address} returns the host to connect to. */
  public String address() {
    return key.address();
  }

  /** {@code port} returns the port to connect to. */
  public int port() {
    return key.port();
  }

  /** {@code version} returns the version label. */
  public String version() {
    return version;
  }

  /** {@code zone} returns the zone, empty when the instance registered none. */
  public String zone() {
    return zone;
  }

  /** {@code latency} returns the instance's latency estimate. */
  public PeakEwma latency() {
    return latency;
  }

  /** {@code weight} returns the relative weight (at least 1). */
  public int weight() {
    return weight;
  }

  /** {@code active} returns the number of requests in flight to this instance. */
  public int active() {
    return active.get();
  }

  /** {@code begin} counts one more request in flight; pair with {@link #end()}. */
  public void begin() {
    active.incrementAndGet();
  }

  /** {@code end} counts one request in flight less, without a latency sample (the request got no answer to time). */
  public void end() {
    active.decrementAndGet();
  }

  /**
   * {@code end} counts one request in flight less and records its latency: the time from sending
   * the request to the response (headers), in nanoseconds.
   */
  public void end(long latencyNanos) {
    active.decrementAndGet();
    latency.observe(latencyNanos);
  }

  /** {@code state} returns the caller-owned per-instance object given at construction, or null. */
  public Object state() {
    return state;
  }

  @Override
  public String toString() {
    return key + "(" + version + ", w" + weight + ")";
  }

  /** {@code hostPort} returns {@code address:port} of the instance (computed once: the Host header sent upstream). */
  public String hostPort() {
    return hostPort;
  }
}
