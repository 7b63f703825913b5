package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

  private static final long MS = 1_000_000;

  @Test
  void delaysGrowByTheMultiplierWithinTheJitterAndNeverExceedTheMaximum() {
    Backoff backoff = new Backoff(BackoffConfig.ofDefaults(), new Random(42));
    double base = 100 * MS;
    for (int n = 0; n < 20; n++) {
      long delay = backoff.nextDelayNanos();
      double expected = Math.min(base, 5_000 * MS);
      assertTrue(delay >= Math.floor(expected * 0.8) && delay <= Math.min(Math.ceil(expected * 1.2), 5_000 * MS),
          "attempt " + n + ": " + delay / 1e6 + " ms is outside ±20% of " + expected / 1e6 + " ms (capped at 5 s)");
      base *= 1.6;
    }
  }

  @Test
  void withoutJitterDelaysAreExactPowersOfTheMultiplierCappedAtTheMaximum() {
    BackoffConfig config = BackoffConfig.custom().jitter(0).build();
    Backoff backoff = new Backoff(config, new Random(1));
    List<Long> millis = new ArrayList<>();
    for (int n = 0; n < 10; n++) {
      millis.add(Math.round(backoff.nextDelayNanos() / 1e6));
    }
    assertEquals(List.of(100L, 160L, 256L, 410L, 655L, 1049L, 1678L, 2684L, 4295L, 5000L), millis);
  }

  @Test
  void theSameSeedGivesTheSameSequenceAndAnotherSeedDoesNot() {
    assertEquals(sequence(7), sequence(7));
    assertNotEquals(sequence(7), sequence(8));
  }

  @Test
  void resetStartsAgainAtTheInitialDelay() {
    Backoff backoff = new Backoff(BackoffConfig.custom().jitter(0).build(), new Random(3));
    for (int n = 0; n < 5; n++) {
      backoff.nextDelayNanos();
    }
    backoff.reset();
    assertEquals(100 * MS, backoff.nextDelayNanos());
  }

  @Test
  void jitterSpreadsDelaysOverBothSidesOfTheBase() {
    Random random = new Random(11);
    boolean below = false;
    boolean above = false;
    for (int i = 0; i < 50; i++) {
      long d = new Backoff(BackoffConfig.ofDefaults(), random).nextDelayNanos();
      below |= d < 100 * MS;
      above |= d > 100 * MS;
    }
    assertTrue(below && above, "jitter should move delays both ways");
  }

  private static List<Long> sequence(long seed) {
    Backoff backoff = new Backoff(BackoffConfig.custom().initialDelay(Duration.ofMillis(50)).build(), new Random(seed));
    List<Long> out = new ArrayList<>();
    for (int n = 0; n < 8; n++) {
      out.add(backoff.nextDelayNanos());
    }
    return out;
  }
}
