/**
 * The gateway's health-check API: {@link dev.vertice.gateway.health.HealthCheckService} answers
 * from an in-process cache, a shared Redis and a per-service circuit breaker before probing the
 * instances of the routing snapshot; {@link dev.vertice.gateway.health.HealthReportJson} renders
 * its answers and {@link dev.vertice.gateway.health.HealthCheckRoute} mounts them on the gateway's
 * {@code /gateway/} routes (the aggregate status on the public listener, each instance on an admin
 * port); {@link dev.vertice.gateway.health.HealthCheckConfig} configures it, probe rounds per second
 * included.
 *
 * <p>It reads which instances exist from the pushed snapshot only, never from the control plane,
 * and never changes routing: a failed probe is reported, not acted on.
 */
package dev.vertice.gateway.health;
