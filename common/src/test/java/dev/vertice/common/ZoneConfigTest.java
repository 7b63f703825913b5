package dev.vertice.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ZoneConfigTest {

  @Test
  void defaultsTurnZoneAwareRoutingOff() {
    ZoneConfig c = ZoneConfig.ofDefaults();
    assertFalse(c.enabled());
    assertEquals(6, c.minClusterSize());
    assertEquals(0, c.localShare());
  }

  @Test
  void localCapacityAtOrAboveTheShareKeepsEverythingLocal() {
    ZoneConfig c = ZoneConfig.custom().zone("a").build();
    assertEquals(1.0, c.localProbability(6, 10, 2));
    assertEquals(1.0, c.localProbability(5, 10, 2));
  }

  @Test
  void localCapacityBelowTheShareSpillsTheExcess() {
    ZoneConfig c = ZoneConfig.custom().zone("a").build();
    // 2 of 8 instances local, callers even over 2 zones: 25 % / 50 % stays local.
    assertEquals(0.5, c.localProbability(2, 8, 2), 1e-12);
    ZoneConfig explicit = ZoneConfig.from(c).localShare(0.8).build();
    assertEquals(0.75, explicit.localProbability(6, 10, 2), 1e-12);
    assertEquals(0, c.localProbability(0, 10, 2));
  }

  @Test
  void badValuesAreRejectedNamingTheSetting() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ZoneConfig.custom().zone("a b"))
        .getMessage().startsWith("invalid zone: 'a b'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ZoneConfig.custom().minClusterSize(0))
        .getMessage().startsWith("invalid zone-min-cluster-size: 0"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ZoneConfig.custom().localShare(1.5))
        .getMessage().startsWith("invalid zone-local-share: 1.5"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ZoneConfig.custom().localShare(Double.NaN))
        .getMessage().startsWith("invalid zone-local-share: NaN"));
  }
}
