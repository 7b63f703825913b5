package dev.vertice.security.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class RateLimitsTest {

  private static Identity service(String name) {
    return new Identity(Identity.Kind.SERVICE, name, "cn:" + name, Identity.Source.MTLS);
  }

  @Test
  void eachIdentityHasItsOwnBudgetPerOperation() {
    // One permit an hour: the second call is refused whatever the scheduling.
    RateLimits.Limit once = new RateLimits.Limit(1, Duration.ofHours(1));
    RateLimits limits = new RateLimits(once, once, new RateLimits.Limit(2, Duration.ofHours(1)), 100);
    assertTrue(limits.tryAcquire(service("a"), RateLimits.Operation.REGISTER));
    assertFalse(limits.tryAcquire(service("a"), RateLimits.Operation.REGISTER));
    assertTrue(limits.tryAcquire(service("a"), RateLimits.Operation.SET_HEALTH));
    assertTrue(limits.tryAcquire(service("b"), RateLimits.Operation.REGISTER));
    assertTrue(limits.tryAcquire(service("a"), RateLimits.Operation.WATCH));
    assertTrue(limits.tryAcquire(service("a"), RateLimits.Operation.WATCH));
    assertFalse(limits.tryAcquire(service("a"), RateLimits.Operation.WATCH));
  }

  @Test
  void trackedIdentitiesAreBounded() {
    RateLimits limits = new RateLimits(RateLimits.Limit.perSecond(1), RateLimits.Limit.perSecond(1),
        RateLimits.Limit.perSecond(1), 10);
    for (int i = 0; i < 1000; i++) {
      limits.tryAcquire(service("s" + i), RateLimits.Operation.REGISTER);
    }
    assertEquals(30, limits.size());
    assertThrows(IllegalArgumentException.class, () -> new RateLimits.Limit(0, Duration.ofSeconds(1)));
  }

  @Test
  void denialLinesAreThemselvesRateLimited() {
    FakeClock clock = new FakeClock();
    DenialLog log = new DenialLog(clock, 3);
    List<String> lines = new ArrayList<>();
    Logger logger = Logger.getLogger(DenialLog.class.getName());
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        lines.add(r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(h);
    try {
      for (int i = 0; i < 10; i++) {
        log.denied("service a (cn:a)", "Register", "why " + i);
      }
      assertEquals(3, lines.size());
      clock.forwardTime(Duration.ofSeconds(1));
      log.denied("service a (cn:a)", "Register", "again");
      assertEquals(4, lines.size());
      assertTrue(lines.get(3).contains("7 earlier denials not logged"), lines.get(3));
      assertTrue(lines.get(0).startsWith("denied Register to service a (cn:a): why 0"), lines.get(0));
    } finally {
      logger.removeHandler(h);
    }
  }
}
