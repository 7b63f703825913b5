package dev.vertice.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** grpc-java's keepalive enforcement, on a fake clock. */
@Timeout(10)
class PingLimitTest {

  private final FakeClock clock = new FakeClock();
  private final PingLimit pings = new PingLimit(clock);

  @Test
  void theThirdEarlyPingIsOneTooMany() {
    assertTrue(pings.accept(true));
    assertTrue(pings.accept(true));
    assertFalse(pings.accept(true));
  }

  @Test
  void withCallsInFlightAPingEveryFiveMinutesIsWelcome() {
    for (int i = 0; i < 10; i++) {
      clock.forwardTime(Duration.ofMinutes(5));
      assertTrue(pings.accept(true), "ping " + i);
    }
    assertTrue(pings.accept(true));
    assertTrue(pings.accept(true));
    assertFalse(pings.accept(true), "three within five minutes of the last welcome one");
  }

  @Test
  void withoutCallsThePermitIsTwoHours() {
    clock.forwardTime(Duration.ofMinutes(119));
    assertTrue(pings.accept(false));
    assertTrue(pings.accept(false));
    assertFalse(pings.accept(false));
    PingLimit later = new PingLimit(clock);
    clock.forwardTime(Duration.ofHours(2));
    assertTrue(later.accept(false));
    assertTrue(later.accept(false));
    assertTrue(later.accept(false));
    assertFalse(later.accept(false));
  }

  @Test
  void whatTheGatewaySendsForgivesEarlyPings() {
    for (int i = 0; i < 100; i++) {
      assertTrue(pings.accept(true));
      assertTrue(pings.accept(true));
      pings.sent();
    }
    assertTrue(pings.accept(true));
    assertTrue(pings.accept(true));
    assertFalse(pings.accept(true));
  }
}
