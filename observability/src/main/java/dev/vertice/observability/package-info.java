/**
 * What every Vertice process exports for operators: an admin HTTP port ({@link
 * dev.vertice.observability.AdminServer}) serving Prometheus metrics from a {@link
 * dev.vertice.observability.Metrics} registry.
 */
package dev.vertice.observability;
