/**
 * The canary controller hosted by the control plane: it ticks each active rollout at its analysis
 * interval, reads the stage window's stats, applies the state machine of {@code dev.vertice.canary},
 * writes the service's TrafficPolicy, persists the rollout and tracks the policy's convergence. Only
 * the replica holding the canary lease evaluates and writes.
 */
package dev.vertice.controlplane.canary;
