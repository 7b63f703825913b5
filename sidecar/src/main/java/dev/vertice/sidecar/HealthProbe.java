package dev.vertice.sidecar;

/**
 * {@code HealthProbe} asks the app once whether it is healthy: HTTP GET on its health path, or
 * grpc.health.v1 Check.
 *
 * <p>{@link #check()} blocks for at most the probe timeout it was built with; the sidecar calls it
 * on its worker, one call at a time.
 */
public interface HealthProbe extends AutoCloseable {

  /**
   * {@code check} probes the app once and returns whether it answered healthy in time. A refused
   * connection, a timeout, an unhealthy answer or any error returns false; it never throws.
   */
  boolean check();

  /** {@code describe} names what is probed, for logs (e.g. {@code GET http://127.0.0.1:8080/health}). */
  String describe();

  /** {@code close} releases the probe's connections. */
  @Override
  default void close() {}
}
