package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The console's flags on control-plane and dev: documented with defaults and variables, bad values exit 2. */
@Timeout(30)
class ConsoleFlagsTest {

  @Test
  void helpOfControlPlaneAndDevDocumentsTheConsoleSettings() {
    for (String command : List.of("control-plane", "dev")) {
      StringWriter out = new StringWriter();
      assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter()), command, "--help"));
      String help = out.toString().replaceAll("\\s+", " ");
      for (String s : List.of("--console", "VERTICE_CONSOLE)", "read-only", "--console-max-live-pages",
          "VERTICE_CONSOLE_MAX_LIVE_PAGES", "Default: 16", "--console-event-buffer-bytes", "Default: 65536")) {
        assertTrue(help.contains(s), command + " help lacks " + s + ":\n" + out);
      }
    }
  }

  @Test
  void invalidConsoleSettingsExitWith2AndNameTheFlag() {
    String[][] cases = {
        {"--console", "maybe"},
        {"--console-max-live-pages", "0"},
        {"--console-event-buffer-bytes", "100"},
    };
    for (String[] c : cases) {
      StringWriter err = new StringWriter();
      int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "control-plane",
          "--port", "0", "--admin-port", "0", c[0], c[1]);
      assertEquals(2, code, String.join(" ", c) + ": " + err);
      assertTrue(err.toString().contains("invalid " + c[0]), err.toString());
    }
  }
}
