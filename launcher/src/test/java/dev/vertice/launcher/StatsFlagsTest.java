package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stats limits of {@code control-plane}: an impossible value is exit code 2 naming its flag. */
@Timeout(30)
class StatsFlagsTest {

  @Test
  void impossibleStatsLimitsExitWith2NamingTheFlag() {
    List<List<String>> cases = List.of(
        List.of("--stats-max-series", "0"),
        List.of("--stats-max-entries-per-batch", "-1"),
        List.of("--stats-max-entries-per-second", "0"),
        List.of("--stats-max-requests-per-entry", "0"),
        List.of("--stats-max-entries-per-reporter", "10"),
        List.of("--canary-fleet-timeout", "0s"));
    for (List<String> flags : cases) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("control-plane", "--host", "127.0.0.1", "--port", "0",
          "--admin-port", "-1"), flags.stream()).toArray(String[]::new);
      int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
      String shown = out + "\n" + err;
      assertEquals(2, code, flags + ": " + shown);
      assertTrue(err.toString().contains("invalid " + flags.get(0)), flags + ": " + shown);
    }
  }
}
