package dev.vertice.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class LogTextTest {

  @Test
  void controlCharactersCannotStartANewLogLine() {
    assertEquals("bad\\u000a2026-11-27 SEVERE forged\\u000d\\u0000", LogText.safe("bad\n2026-11-27 SEVERE forged\r\0"));
    assertEquals("a\\u2028b\\u001b[31m", LogText.safe("a\u2028b\u001b[31m"));
  }

  @Test
  void plainTextIsReturnedAsItIs() {
    String s = "sidecar-orders-1 (node ü, 10.0.0.1:8080)";
    assertSame(s, LogText.safe(s));
  }
}
