/**
 * The canary controller hosted by the control plane: it ticks each active rollout at its analysis
 * interval, reads the stage window's stats, applies the state machine of {@code dev.vertice.canary},
 * writes the service's TrafficPolicy, persists the rollout and tracks the policy's convergence. Only
 * the replica holding the canary lease evaluates and writes.
 *
 * <p>It takes the control plane's {@code RolloutStore} directly; its other inputs are small roles
 * ({@link dev.vertice.controlplane.canary.PolicyPublisher}, {@link
 * dev.vertice.controlplane.canary.StatsWindows}, {@link dev.vertice.controlplane.canary.Leadership},
 * {@link dev.vertice.controlplane.canary.ServingInstances}) that tests drive by hand. Knows nothing
 * of gRPC (the service layer translates) nor of Redis.
 */
package dev.vertice.controlplane.canary;
