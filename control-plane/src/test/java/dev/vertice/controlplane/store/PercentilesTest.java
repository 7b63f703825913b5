package dev.vertice.controlplane.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PercentilesTest {

  private static final List<Double> BOUNDS = List.of(0.1, 0.2, 0.4);

  @Test
  void interpolatesLinearlyInsideTheBucketHoldingTheRank() {
    List<Long> counts = List.of(50L, 40L, 9L, 1L);
    assertEquals(0.1, Percentiles.quantile(BOUNDS, counts, 0.5), 1e-12, "rank 50 is the top of the first bucket");
    assertEquals(0.05, Percentiles.quantile(BOUNDS, counts, 0.25), 1e-12, "the first bucket starts at 0");
    assertEquals(0.2 + 0.2 * 5 / 9, Percentiles.quantile(BOUNDS, counts, 0.95), 1e-12);
    assertEquals(0.4, Percentiles.quantile(BOUNDS, counts, 0.99), 1e-12);
  }

  @Test
  void emptyBucketsAreSkipped() {
    assertEquals(0.2 + 0.2 * 0.99, Percentiles.quantile(BOUNDS, List.of(0L, 0L, 100L, 0L), 0.99), 1e-12);
  }

  @Test
  void aRankAboveTheLastBoundIsReportedAsTheLastBound() {
    assertEquals(0.4, Percentiles.quantile(BOUNDS, List.of(0L, 0L, 0L, 10L), 0.5), 1e-12);
  }

  @Test
  void noRequestsHaveNoQuantile() {
    assertTrue(Double.isNaN(Percentiles.quantile(List.of(), List.of(), 0.99)));
    assertTrue(Double.isNaN(Percentiles.quantile(BOUNDS, List.of(0L, 0L, 0L, 0L), 0.99)));
  }

  @Test
  void badArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Percentiles.quantile(BOUNDS, List.of(1L, 1L, 1L, 1L), 0));
    assertThrows(IllegalArgumentException.class, () -> Percentiles.quantile(BOUNDS, List.of(1L, 1L, 1L, 1L), 1.5));
    assertThrows(IllegalArgumentException.class, () -> Percentiles.quantile(BOUNDS, List.of(1L, 1L), 0.5));
  }
}
