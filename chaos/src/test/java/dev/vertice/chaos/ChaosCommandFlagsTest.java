package dev.vertice.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ./vertice chaos} flags: bad values exit 2 naming the flag; nothing starts. */
class ChaosCommandFlagsTest {

  @TempDir
  Path dir;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new ChaosCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void listShowsEveryScenario() {
    Run r = run("--list");
    assertEquals(0, r.code(), r.err());
    for (String name : Scenarios.all().keySet()) {
      assertTrue(r.out().contains(name), r.out());
    }
    assertTrue(Scenarios.all().keySet().containsAll(Scenarios.SHORT));
  }

  @Test
  void badValuesExitTwoNamingTheFlag() {
    Run rate = run("--dir", dir.toString(), "--rate", "0");
    assertEquals(2, rate.code());
    assertTrue(rate.err().contains("invalid --rate"), rate.err());
    Run profile = run("--dir", dir.toString(), "--profile", "long");
    assertEquals(2, profile.code());
    assertTrue(profile.err().contains("invalid --profile"), profile.err());
    Run scenario = run("--dir", dir.toString(), "no-such-scenario");
    assertEquals(2, scenario.code());
    assertTrue(scenario.err().contains("no scenario 'no-such-scenario'"), scenario.err());
    Run settle = run("--dir", dir.toString(), "--settle", "0s");
    assertEquals(2, settle.code());
    assertTrue(settle.err().contains("invalid --settle"), settle.err());
  }

  @Test
  void noClusterAndNoStartExitsOne() {
    Run r = run("--dir", dir.toString(), "kill-other-control-plane");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("no cluster runs from") && r.err().contains("--start"), r.err());
  }

  @Test
  void settingsCheckTheirValues() {
    assertThrows(IllegalArgumentException.class, () -> ChaosSettings.custom().ratePerGateway(20_001));
    assertThrows(IllegalArgumentException.class, () -> ChaosSettings.custom().churnRate(-1));
    assertThrows(IllegalArgumentException.class, () -> ChaosSettings.custom().replicaStop(Duration.ZERO));
    ChaosSettings s = ChaosSettings.shortProfile();
    assertEquals(ChaosSettings.SHORT_RATE_PER_GATEWAY, s.ratePerGateway());
    assertEquals(ChaosSettings.DEFAULT_RATE_PER_GATEWAY, ChaosSettings.ofDefaults().ratePerGateway());
  }
}
