/**
 * The gateway's health-check API: {@link dev.vertice.gateway.health.HealthCheckService} answers
 * from an in-process cache, a shared Redis and a per-service circuit breaker before probing the
 * instances of the routing snapshot; {@link dev.vertice.gateway.health.HealthReportJson} renders
 * its answers.
 */
package dev.vertice.gateway.health;
