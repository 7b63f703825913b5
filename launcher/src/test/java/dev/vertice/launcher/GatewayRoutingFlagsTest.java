package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.gateway.GatewayConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The gateway's zone-aware and latency-aware routing flags: mapping, defaults, bad values. */
@Timeout(30)
class GatewayRoutingFlagsTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--lb-policy|fastest|--balancer",
    "--zone|eu west|--zone",
    "--zone-min-cluster-size|0|--zone-min-cluster-size",
    "--zone-local-share|1.5|--zone-local-share",
    "--peak-ewma-decay|0s|--peak-ewma-decay"
  })
  void invalidSettingExitsWith2AndNamesIt(String option, String value, String named) {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
        "gateway", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "-1", "--admin-port", "-1", "--stats", "false",
        option, value);
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(named), err.toString());
  }

  @Test
  void flagsMapToTheConfig() {
    GatewayCommand c = new GatewayCommand();
    new CommandLine(c).parseArgs("--lb-policy", "peak-ewma", "--peak-ewma-decay", "5s", "--zone", "eu-west-1a",
        "--zone-min-cluster-size", "3", "--zone-local-share", "0.4");
    GatewayConfig config = c.config();
    assertEquals("peak-ewma", config.balancer());
    assertEquals(Duration.ofSeconds(5), config.peakEwmaDecay());
    assertEquals("eu-west-1a", config.zone().zone());
    assertEquals(3, config.zone().minClusterSize());
    assertEquals(0.4, config.zone().localShare());
  }

  @Test
  void helpDocumentsTheSettingsWithTheirDefaultsAndVariables() {
    StringWriter out = new StringWriter();
    assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter()), "gateway", "--help"));
    String help = out.toString().replaceAll("\\s+", " ");
    for (String s : List.of("--lb-policy", "peak-ewma", "--peak-ewma-decay", "VERTICE_PEAK_EWMA_DECAY", "Default: 10s",
        "--zone", "VERTICE_ZONE", "--zone-min-cluster-size", "VERTICE_ZONE_MIN_CLUSTER_SIZE", "Default: 6",
        "--zone-local-share", "VERTICE_ZONE_LOCAL_SHARE")) {
      assertTrue(help.contains(s), "help lacks " + s + ":\n" + out);
    }
  }
}
