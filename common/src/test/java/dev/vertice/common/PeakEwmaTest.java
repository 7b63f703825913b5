package dev.vertice.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class PeakEwmaTest {

  private static final long MS = 1_000_000L;
  private final AtomicLong now = new AtomicLong(1_000 * MS);
  private final PeakEwma ewma = new PeakEwma(now::get, Duration.ofSeconds(10));

  private void advance(long nanos) {
    now.addAndGet(nanos);
  }

  @Test
  void noSampleCostsNothingWhenIdleAndAPenaltyWhenBusy() {
    assertEquals(0, ewma.estimateNanos());
    assertEquals(0, ewma.cost(0, 1));
    assertEquals(PeakEwma.PENALTY_NANOS * 3, ewma.cost(3, 1));
    assertEquals(PeakEwma.PENALTY_NANOS * 3 / 2, ewma.cost(3, 2));
  }

  @Test
  void aSampleAboveTheEstimateReplacesItAtOnce() {
    ewma.observe(2 * MS);
    advance(1 * MS);
    ewma.observe(2 * MS);
    assertEquals(2 * MS, ewma.estimateNanos(), 2 * MS * 1e-3);
    ewma.observe(50 * MS);
    assertEquals(50 * MS, ewma.estimateNanos(), 1e-6);
  }

  @Test
  void lowerSamplesPullTheEstimateDownWithTheDecayTimeConstant() {
    ewma.observe(50 * MS);
    // One sample of 10 ms taken 10 s (one time constant) later: weight 1 - 1/e.
    advance(10_000 * MS);
    ewma.observe(10 * MS);
    double w = Math.exp(-1);
    double after = 50 * MS * w + 10 * MS * (1 - w);
    assertEquals(after, ewma.estimateNanos(), 1);
    // Samples of 10 ms every 10 ms for 30 s (three time constants): the excess over 10 ms shrinks
    // by e^-3 whatever the sample rate.
    for (int i = 0; i < 3000; i++) {
      advance(10 * MS);
      ewma.observe(10 * MS);
    }
    assertEquals(10 * MS + (after - 10 * MS) * Math.exp(-3), ewma.estimateNanos(), 1000);
  }

  @Test
  void anIdleEstimateDecaysTowardsZero() {
    ewma.observe(50 * MS);
    advance(10_000 * MS);
    assertEquals(50 * MS * Math.exp(-1), ewma.estimateNanos(), 1);
    advance(20_000 * MS);
    assertEquals(50 * MS * Math.exp(-3), ewma.estimateNanos(), 1);
    // A fresh slow sample puts it back at its peak.
    ewma.observe(50 * MS);
    assertEquals(50 * MS, ewma.estimateNanos(), 1e-6);
  }

  @Test
  void costIsTheEstimateTimesInFlightPlusOneOverWeight() {
    ewma.observe(4 * MS);
    assertEquals(4.0 * MS, ewma.cost(0, 1), 1e-6);
    assertEquals(12.0 * MS, ewma.cost(2, 1), 1e-6);
    assertEquals(3.0 * MS, ewma.cost(2, 4), 1e-6);
    assertTrue(ewma.cost(5, 1) < ewma.cost(6, 1));
  }

  @Test
  void cheaperAgreesWithComparingCosts() {
    PeakEwma other = new PeakEwma(now::get, Duration.ofSeconds(10));
    java.util.Random random = new java.util.Random(3);
    for (int i = 0; i < 1000; i++) {
      (random.nextBoolean() ? ewma : other).observe((long) (random.nextDouble() * 100 * MS));
      advance((long) (random.nextDouble() * 5_000 * MS));
      int ax = random.nextInt(10);
      int ay = random.nextInt(10);
      int wx = 1 + random.nextInt(5);
      int wy = 1 + random.nextInt(5);
      double cx = ewma.cost(ax, wx);
      double cy = other.cost(ay, wy);
      if (Math.abs(cx - cy) > 1e-6 * Math.max(cx, cy)) {
        assertEquals(cx <= cy, PeakEwma.cheaper(ewma, ax, wx, other, ay, wy), "costs " + cx + " and " + cy);
      }
    }
  }

  @Test
  void aDecayThatIsNotPositiveIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new PeakEwma(now::get, Duration.ZERO));
    assertTrue(e.getMessage().contains("PT0S"), e.getMessage());
  }
}
