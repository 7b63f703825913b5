package dev.vertice.controlplane.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PushLimitsTest {

  @Test
  void defaultsAreTheDocumentedConstants() {
    PushLimits d = PushLimits.ofDefaults();
    assertEquals(10_000, d.maxSubscriptionsPerStream());
    assertEquals(512, d.maxResourcesPerBatch());
    assertEquals(1 << 20, d.maxBatchBytes());
    assertEquals(1024, d.maxOutstandingBatches());
    assertEquals(64, d.maxTrackedChangesPerResource());
  }

  @Test
  void fromKeepsTheBaseAndChangesOnlyWhatIsSet() {
    PushLimits base = PushLimits.custom().maxSubscriptionsPerStream(5).maxBatchBytes(10).build();
    PushLimits copy = PushLimits.from(base).maxResourcesPerBatch(2).build();
    assertEquals(5, copy.maxSubscriptionsPerStream());
    assertEquals(10, copy.maxBatchBytes());
    assertEquals(2, copy.maxResourcesPerBatch());
    assertEquals(PushLimits.DEFAULT_MAX_OUTSTANDING_BATCHES, copy.maxOutstandingBatches());
    assertEquals(512, base.maxResourcesPerBatch());
  }

  @Test
  void aValueThatIsNotPositiveIsRejectedQuotingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PushLimits.custom().maxOutstandingBatches(0));
    assertEquals("maxOutstandingBatches must be positive: 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PushLimits.custom().maxSubscriptionsPerStream(-3));
    assertEquals("maxSubscriptionsPerStream must be positive: -3", e.getMessage());
  }
}
