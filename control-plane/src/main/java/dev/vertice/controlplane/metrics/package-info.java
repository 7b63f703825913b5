/**
 * Micrometer meters of the control plane: registry size and changes, leases, push and convergence
 * ({@link dev.vertice.controlplane.metrics.ControlPlaneMetrics}) and rollouts ({@link
 * dev.vertice.controlplane.metrics.CanaryMetrics}).
 *
 * <p>Observers only: they read state and count events the other packages report, and never change
 * what they observe.
 */
package dev.vertice.controlplane.metrics;
