package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GatewayCommandTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--port|70000|--port",
    "--grpc-port|-2|--grpc-port",
    "--balancer|random|--balancer",
    "--route|nonsense|--route",
    "--route|path:api=orders|--route",
    "--route|host:a.example=Bad Name!|--route",
    "--request-timeout|soon|--request-timeout",
    "--max-header-bytes|10|--max-header-bytes",
    "--max-body-bytes|-1|--max-body-bytes",
    "--max-connections|0|--max-connections",
    "--max-connections-per-client|0|--max-connections-per-client",
    "--response-write-timeout|0s|--response-write-timeout",
    "--max-concurrent-streams|0|--max-concurrent-streams",
    "--event-loops|-1|--event-loops",
    "--event-loops|1025|--event-loops",
    "--retry-budget|2|--retry-budget",
    "--max-attempts|0|--max-attempts",
    "--admin-port|-2|--admin-port",
    "--admin-port|70000|--admin-port",
    "--control-plane|not an address|--control-plane",
    "--health-check-redis|http://127.0.0.1:6379|--health-check-redis",
    "--health-check-probe-rate|0|--health-check-probe-rate",
    "--health-check-probe-rate|100001|--health-check-probe-rate"
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
  void helpDocumentsEverySettingWithItsDefaultAndVariable() {
    StringWriter out = new StringWriter();
    assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter()), "gateway", "--help"));
    String help = out.toString().replaceAll("\\s+", " ");
    for (String s : List.of("--port", "VERTICE_PORT", "Default: 8080", "--control-plane", "VERTICE_CONTROL_PLANE",
        "--grpc-port", "Default: 8081", "--route", "--balancer", "Default: least-request", "--max-body-bytes",
        "--header-timeout", "--lingering-close", "VERTICE_LINGERING_CLOSE", "--shutdown-grace", "/gateway/status", "--admin-port", "VERTICE_ADMIN_PORT",
        "Default: 9701", "/metrics", "/healthz", "/gateway/routes", "--public-status-pages",
        "VERTICE_GATEWAY_PUBLIC_STATUS_PAGES", "Default: false", "--health-check-probe-rate",
        "VERTICE_HEALTH_CHECK_PROBE_RATE", "Default: 20", "--event-loops", "VERTICE_EVENT_LOOPS")) {
      assertTrue(help.contains(s), "help lacks " + s + ":\n" + out);
    }
  }

  @Test
  void publicStatusPagesIsOffUnlessAskedFor() {
    GatewayCommand off = new GatewayCommand();
    new CommandLine(off).parseArgs();
    assertEquals(Boolean.parseBoolean(System.getenv("VERTICE_GATEWAY_PUBLIC_STATUS_PAGES")), off.publicStatusPages);
    GatewayCommand on = new GatewayCommand();
    new CommandLine(on).parseArgs("--public-status-pages");
    assertTrue(on.publicStatusPages);
    GatewayCommand explicit = new GatewayCommand();
    new CommandLine(explicit).parseArgs("--public-status-pages", "false");
    assertFalse(explicit.publicStatusPages);
  }
}
