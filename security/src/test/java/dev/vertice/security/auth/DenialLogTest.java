package dev.vertice.security.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DenialLogTest {

  private final Logger logger = Logger.getLogger(DenialLog.class.getName());
  private final List<String> lines = new ArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      synchronized (lines) {
        lines.add(r.getMessage());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void capture() {
    logger.addHandler(capture);
  }

  @AfterEach
  void release() {
    logger.removeHandler(capture);
  }

  @Test
  void linesAreRateLimitedButEveryDenialIsCounted() {
    FakeClock clock = new FakeClock();
    DenialLog log = new DenialLog(clock, 3);
    for (int i = 0; i < 10; i++) {
      log.denied("service orders (jwt:orders)", "Register", "not its service");
    }
    assertEquals(3, lines.size(), lines.toString());
    assertEquals(10, log.total());
    clock.forwardTime(Duration.ofSeconds(1));
    log.denied("service orders (jwt:orders)", "Register", "not its service");
    assertEquals(4, lines.size());
    assertTrue(lines.get(3).contains("7 earlier denials not logged"), lines.get(3));
    assertEquals(11, log.total());
  }
}
