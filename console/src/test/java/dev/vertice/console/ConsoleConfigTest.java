package dev.vertice.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The console's settings: defaults, parsing, and impossible values refused with the value quoted. */
class ConsoleConfigTest {

  @Test
  void defaultsAndModes() {
    ConsoleConfig c = ConsoleConfig.ofDefaults();
    assertEquals(ConsoleConfig.Mode.ON, c.mode());
    assertEquals(16, c.maxEventStreams());
    assertEquals(64 * 1024, c.eventBufferBytes());
    assertEquals(ConsoleConfig.Mode.READ_ONLY, ConsoleConfig.Mode.parse(" Read-Only "));
    assertEquals(ConsoleConfig.Mode.OFF, ConsoleConfig.Mode.parse("off"));
    assertEquals(7, ConsoleConfig.from(ConsoleConfig.custom().maxEventStreams(7).build()).build().maxEventStreams());
  }

  @Test
  void impossibleValuesAreRefusedQuotingThem() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ConsoleConfig.Mode.parse("maybe")).getMessage()
        .contains("'maybe'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ConsoleConfig.custom().maxEventStreams(0))
        .getMessage().contains("maxEventStreams"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ConsoleConfig.custom().eventBufferBytes(10))
        .getMessage().contains("10"));
    assertThrows(IllegalArgumentException.class, () -> ConsoleConfig.custom().tickInterval(Duration.ofMillis(1)));
    assertThrows(IllegalArgumentException.class, () -> ConsoleConfig.custom().coalesce(Duration.ofSeconds(5)));
  }
}
