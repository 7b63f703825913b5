package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The sidecar's own command line: flags, their variables and defaults, and what it refuses. */
@Timeout(30)
class SidecarFlagsTest {

  private static SidecarFlags.Parsed parse(Map<String, String> env, String... args) {
    return SidecarFlags.parse(List.of(args), env);
  }

  @Test
  void aFlagWinsOverItsVariableAndTheVariableOverTheDefault() {
    Map<String, String> env = Map.of("VERTICE_PROBE_INTERVAL", "2s", "VERTICE_WEIGHT", "7", "VERTICE_ZONE", "eu-1");
    SidecarFlags.Parsed p = parse(env, "--probe-interval", "250ms", "--zone=eu-2");
    assertEquals(Duration.ofMillis(250), p.duration("--probe-interval"), "the flag");
    assertEquals(7, p.integer("--weight"), "the variable");
    assertEquals("eu-2", p.string("--zone"), "--flag=value");
    assertEquals(Duration.ofSeconds(60), p.duration("--ttl"), "the default");
    assertEquals("localhost:7700", p.string("--control-plane"));
    assertNull(p.string("--service-name"), "no default");
    assertNull(p.integer("--port"));
    assertEquals(List.of(), p.exec());
  }

  @Test
  void aValueMayLookLikeANumberOrBeEmpty() {
    SidecarFlags.Parsed p = parse(Map.of(), "--admin-port", "-1", "--zone", "", "--metadata=a=b");
    assertEquals(-1, p.integer("--admin-port"));
    assertEquals("", p.string("--zone"));
    assertEquals("a=b", p.string("--metadata"));
  }

  @Test
  void everyFlagHasItsVariableAndOneDefault() {
    for (SidecarFlags.Flag f : SidecarFlags.FLAGS) {
      assertTrue(f.description().contains("(" + f.env() + ")"), f.name() + "'s help names " + f.env());
      assertTrue(f.defaultValue() != null || f.description().contains("Required"), f.name() + " has a default");
    }
    assertEquals(SidecarFlags.FLAGS.size(),
        SidecarFlags.FLAGS.stream().map(SidecarFlags.Flag::name).distinct().count(), "no flag twice");
  }

  @Test
  void badCommandLinesAreRefusedNamingTheFlag() {
    assertEquals("unknown flag '--colour'", assertThrows(SidecarFlags.InvalidFlagException.class,
        () -> parse(Map.of(), "--colour", "red")).getMessage());
    assertEquals("unknown flag '--colour'", assertThrows(SidecarFlags.InvalidFlagException.class,
        () -> parse(Map.of(), "--colour=red")).getMessage());
    assertTrue(assertThrows(SidecarFlags.InvalidFlagException.class,
        () -> parse(Map.of(), "orders")).getMessage().contains("unexpected argument 'orders'"));
    assertEquals("missing value of --port (VERTICE_PORT)", assertThrows(SidecarFlags.InvalidFlagException.class,
        () -> parse(Map.of(), "--port")).getMessage());
    assertEquals("missing value of --port (VERTICE_PORT)", assertThrows(SidecarFlags.InvalidFlagException.class,
        () -> parse(Map.of(), "--port", "--api-port", "0")).getMessage());
    assertEquals("--port is given twice", assertThrows(SidecarFlags.InvalidFlagException.class,
        () -> parse(Map.of(), "--port", "1", "--port=2")).getMessage());
    assertEquals("invalid --weight (VERTICE_WEIGHT): 'heavy' is not a whole number",
        assertThrows(SidecarFlags.InvalidFlagException.class,
            () -> parse(Map.of("VERTICE_WEIGHT", "heavy")).integer("--weight")).getMessage());
    assertTrue(assertThrows(SidecarFlags.InvalidFlagException.class,
        () -> parse(Map.of(), "--ttl", "soon").duration("--ttl")).getMessage()
        .startsWith("invalid --ttl (VERTICE_TTL): 'soon' is not a duration"));
  }

  @Test
  void aBadCommandLineExitsWith2AndChangesNothing() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(2, SidecarCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), "--colour", "red"));
    assertEquals("", out.toString());
    assertTrue(err.toString().contains("unknown flag '--colour'") && err.toString().contains("--help"), err.toString());
  }

  @Test
  void theLaunchersSidecarCommandIsTheSame() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "sidecar", "--help"));
    assertTrue(out.toString().contains("--probe-interval=<probe-interval>"), out.toString());
    StringWriter helpOut = new StringWriter();
    assertEquals(0, Main.run(new PrintWriter(helpOut, true), new PrintWriter(new StringWriter(), true), "help",
        "sidecar"));
    assertEquals(out.toString(), helpOut.toString());
    StringWriter usage = new StringWriter();
    assertEquals(0, Main.run(new PrintWriter(usage, true), new PrintWriter(new StringWriter(), true), "--help"));
    assertTrue(usage.toString().replaceAll("\\s+", " ").contains("sidecar " + SidecarFlags.SUMMARY),
        usage.toString());
    StringWriter bad = new StringWriter();
    assertEquals(2, Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(bad, true), "sidecar",
        "--port", "x", "--service-name", "orders"));
    assertTrue(bad.toString().contains("invalid --port (VERTICE_PORT): 'x' is not a whole number"), bad.toString());
  }

  @Test
  void helpKeepsLinesShortAndShowsDefaults() {
    StringWriter out = new StringWriter();
    SidecarFlags.printHelp(new PrintWriter(out, true));
    for (String line : out.toString().split("\n")) {
      assertTrue(line.length() <= 100 || !line.strip().contains(" "), "a long line: " + line);
    }
    String help = out.toString().replaceAll("\\s+", " ");
    assertTrue(help.contains("Default: 5s"), help);
    assertTrue(help.contains("±20% jitter"), help);
    assertTrue(!help.contains("${"), "every default is filled in: " + help);
  }
}
