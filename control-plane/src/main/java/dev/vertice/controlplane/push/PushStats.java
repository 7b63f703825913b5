package dev.vertice.controlplane.push;

/**
 * {@code PushStats} is a snapshot of the engine's counters.
 *
 * @param subscribers open subscribers
 * @param batchesSent responses sent since start
 * @param resourcesSent resources (and removals) sent since start
 * @param acks responses ACKed
 * @param nacks responses NACKed
 * @param pendingValues resources waiting to be sent, over all subscribers
 * @param waitingChanges changes whose convergence is still being tracked
 */
public record PushStats(
    int subscribers, long batchesSent, long resourcesSent, long acks, long nacks, long pendingValues, int waitingChanges) {}
