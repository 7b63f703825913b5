package dev.vertice.controlplane.push;

/**
 * {@code Convergence} is the outcome of one change.
 *
 * @param version the change's version
 * @param nanos time from the change to the last subscriber's answer
 * @param subscribers how many subscribers needed the change
 * @param nacks how many of them NACKed it
 * @param complete false when the change was dropped before every subscriber answered
 */
public record Convergence(long version, long nanos, int subscribers, int nacks, boolean complete) {}
