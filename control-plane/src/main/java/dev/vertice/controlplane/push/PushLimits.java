package dev.vertice.controlplane.push;

/**
 * {@code PushLimits} bounds what one subscriber may hold and receive.
 *
 * @param maxSubscriptionsPerStream explicit resource names one stream may subscribe to, per type
 * @param maxResourcesPerBatch resources (plus removals) in one response
 * @param maxBatchBytes approximate upper bound of one response's resource bytes; a single larger
 *     resource is still sent alone
 * @param maxOutstandingBatches sent batches remembered for ACK matching; the ACK of an older one is
 *     ignored
 * @param maxTrackedChangesPerResource changes per resource awaiting convergence; older ones are
 *     dropped unconverged
 */
public record PushLimits(
    int maxSubscriptionsPerStream,
    int maxResourcesPerBatch,
    int maxBatchBytes,
    int maxOutstandingBatches,
    int maxTrackedChangesPerResource) {

  /** Default: 10,000 subscriptions per stream, 512 resources or 1 MiB per response. */
  public static final PushLimits DEFAULT = new PushLimits(10_000, 512, 1 << 20, 1024, 64);

  public PushLimits {
    positive("maxSubscriptionsPerStream", maxSubscriptionsPerStream);
    positive("maxResourcesPerBatch", maxResourcesPerBatch);
    positive("maxBatchBytes", maxBatchBytes);
    positive("maxOutstandingBatches", maxOutstandingBatches);
    positive("maxTrackedChangesPerResource", maxTrackedChangesPerResource);
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
  }
}
