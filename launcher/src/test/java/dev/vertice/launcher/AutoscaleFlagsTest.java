package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.controlplane.autoscale.AutoscaleConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The control plane's --autoscale-* flags: mapped to AutoscaleConfig, documented, bad values exit 2. */
@Timeout(30)
class AutoscaleFlagsTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--autoscale-stale-intervals|101",
    "--autoscale-max-streams|-1",
    "--autoscale-max-exported-versions|1001"
  })
  void impossibleValueExitsWith2NamingTheFlag(String flag, String value) {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
        "control-plane", "--host", "127.0.0.1", flag, value);
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(flag) && err.toString().contains(value), err.toString());
  }

  @Test
  void flagsMapToTheConfigAndDefaultsMatchIt() {
    ControlPlaneCommand cmd = new ControlPlaneCommand();
    new CommandLine(cmd).parseArgs("--autoscale-stale-intervals", "5", "--autoscale-max-reporters", "10",
        "--autoscale-max-streams", "7", "--autoscale-max-exported-services", "0",
        "--autoscale-max-exported-versions", "2");
    AutoscaleConfig c = cmd.autoscaleConfig();
    assertEquals(List.of(5, 10, 7, 0, 2), List.of(c.staleIntervals(), c.maxReporters(), c.maxActivityStreams(),
        c.maxExportedServices(), c.maxExportedVersions()));

    ControlPlaneCommand defaults = new ControlPlaneCommand();
    new CommandLine(defaults).parseArgs();
    AutoscaleConfig d = defaults.autoscaleConfig();
    AutoscaleConfig o = AutoscaleConfig.ofDefaults();
    assertEquals(List.of(o.staleIntervals(), o.maxReporters(), o.maxActivityStreams(), o.maxExportedServices(),
        o.maxExportedVersions()), List.of(d.staleIntervals(), d.maxReporters(), d.maxActivityStreams(),
        d.maxExportedServices(), d.maxExportedVersions()));

    StringWriter out = new StringWriter();
    assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter()), "control-plane",
        "--help"));
    for (String s : List.of("--autoscale-stale-intervals", "VERTICE_AUTOSCALE_STALE_INTERVALS", "Default: 3",
        "--autoscale-max-streams", "Default: 1024", "--autoscale-max-exported-versions")) {
      assertTrue(out.toString().replaceAll("\\s+", " ").contains(s), "help lacks " + s);
    }
  }
}
