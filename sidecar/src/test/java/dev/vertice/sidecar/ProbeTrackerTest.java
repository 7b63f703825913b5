package dev.vertice.sidecar;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.sidecar.internal.ProbeTracker;
import org.junit.jupiter.api.Test;

class ProbeTrackerTest {

  @Test
  void failureThresholdConsecutiveFailuresTurnHealthyToUnhealthy() {
    ProbeTracker t = new ProbeTracker(1, 3, true);
    assertFalse(t.record(false));
    assertFalse(t.record(false));
    assertTrue(t.record(false));
    assertFalse(t.healthy());
  }

  @Test
  void aSuccessInBetweenResetsTheFailureStreak() {
    ProbeTracker t = new ProbeTracker(1, 3, true);
    t.record(false);
    t.record(false);
    assertFalse(t.record(true));
    assertFalse(t.record(false));
    assertFalse(t.record(false));
    assertTrue(t.healthy());
    assertTrue(t.record(false));
  }

  @Test
  void successThresholdConsecutiveSuccessesTurnUnhealthyToHealthy() {
    ProbeTracker t = new ProbeTracker(2, 1, false);
    assertFalse(t.record(true));
    assertFalse(t.record(false));
    assertFalse(t.record(true));
    assertTrue(t.record(true));
    assertTrue(t.healthy());
    assertTrue(t.record(false), "failure threshold 1: one failure turns it over");
  }
}
