package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SidecarCommandTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--port|70000|--port (VERTICE_PORT)",
    "--port|http|--port",
    "--service-name|bad name|--service-name (VERTICE_SERVICE_NAME)",
    "--protocol|ftp|--protocol (VERTICE_PROTOCOL)",
    "--probe-interval|5x|--probe-interval",
    "--probe-timeout|10s|--probe-timeout (VERTICE_PROBE_TIMEOUT)",
    "--failure-threshold|0|--failure-threshold (VERTICE_FAILURE_THRESHOLD)",
    "--keepalive-interval|90s|--keepalive-interval (VERTICE_KEEPALIVE_INTERVAL)",
    "--control-plane|nohost|--control-plane (VERTICE_CONTROL_PLANE)",
    "--upstreams|a b|--upstreams (VERTICE_UPSTREAMS)",
    "--metadata|novalue|--metadata (VERTICE_METADATA)",
    "--health-path|health|--health-path (VERTICE_HEALTH_PATH)",
    "--inflight-url|ftp://x/|--inflight-url (VERTICE_INFLIGHT_URL)",
    "--api-port|-2|--api-port (VERTICE_API_PORT)",
    "--weight|0|--weight (VERTICE_WEIGHT)",
    "--admin-port|-2|--admin-port (VERTICE_ADMIN_PORT)",
    "--admin-port|65536|--admin-port (VERTICE_ADMIN_PORT)",
    "--admin-port|x|--admin-port",
    "--admin-host|' '|--admin-host (VERTICE_ADMIN_HOST): is empty",
    "--restart-after-unhealthy|1s|--restart-after-unhealthy (VERTICE_RESTART_AFTER_UNHEALTHY)",
    "--restart-after-unhealthy|soon|--restart-after-unhealthy (VERTICE_RESTART_AFTER_UNHEALTHY)",
    "--restart-backoff-initial|0s|--restart-backoff-initial (VERTICE_RESTART_BACKOFF_INITIAL)",
    "--restart-backoff-max|100ms|--restart-backoff-max (VERTICE_RESTART_BACKOFF_MAX)",
    "--crash-loop-restarts|0|--crash-loop-restarts (VERTICE_CRASH_LOOP_RESTARTS)",
    "--crash-loop-window|0s|--crash-loop-window (VERTICE_CRASH_LOOP_WINDOW)",
    "--app-start-timeout|0s|--app-start-timeout (VERTICE_APP_START_TIMEOUT)",
    "--app-stop-grace|x|--app-stop-grace"
  })
  void invalidSettingExitsWith2AndNamesIt(String option, String value, String named) {
    java.util.Map<String, String> settings = new java.util.LinkedHashMap<>(java.util.Map.of("--service-name", "orders",
        "--port", "8080", "--api-port", "0"));
    settings.put(option, value);
    List<String> args = new ArrayList<>();
    settings.forEach((k, v) -> {
      args.add(k);
      args.add(v);
    });
    StringWriter err = new StringWriter();
    int code = SidecarCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
        args.toArray(String[]::new));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(named), err.toString());
  }

  @Test
  void execTakesEveryArgumentAfterItAsTheAppsCommandLine() {
    SidecarFlags.Parsed p = SidecarFlags.parse(List.of("--service-name", "orders", "--port", "8080", "--exec", "./app",
        "--port", "9", "--", "x"), Map.of());
    assertEquals(List.of("./app", "--port", "9", "--", "x"), p.exec());
    assertEquals(8080, p.integer("--port"), "the sidecar's own --port is the one before --exec");
    p = SidecarFlags.parse(List.of("--service-name", "orders", "--port", "8080", "--exec", "--", "./app", "-h"),
        Map.of());
    assertEquals(List.of("./app", "-h"), p.exec(), "a leading -- is skipped");
    assertFalse(p.help(), "the app's -h is the app's");
  }

  @Test
  void execWithoutACommandExitsWith2() {
    StringWriter err = new StringWriter();
    assertEquals(2, SidecarCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
        "--service-name", "orders", "--port", "8080", "--exec", "--"));
    assertTrue(err.toString().contains("--exec: the app's command line is missing"), err.toString());
  }

  @Test
  void missingServiceNameOrPortExitsWith2() {
    StringWriter err = new StringWriter();
    assertEquals(2, SidecarCommand.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), "--port", "80"));
    assertTrue(err.toString().contains("--service-name (VERTICE_SERVICE_NAME): is required"), err.toString());
  }

  @Test
  void helpDocumentsEverySettingWithItsDefaultAndVariable() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(0, SidecarCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), "--help"));
    assertTrue(err.toString().isEmpty(), "help renders cleanly: " + err);
    String help = out.toString().replaceAll("\\s+", " ");
    for (String s : List.of("--service-name", "VERTICE_SERVICE_NAME", "--address", "VERTICE_ADDRESS", "--port",
        "VERTICE_PORT", "--protocol", "VERTICE_PROTOCOL", "--version", "VERTICE_VERSION", "--zone", "VERTICE_ZONE",
        "--metadata", "VERTICE_METADATA", "--health-path", "VERTICE_HEALTH_PATH", "Default: /health",
        "--grpc-health-service", "--control-plane", "VERTICE_CONTROL_PLANE", "--upstreams", "VERTICE_UPSTREAMS",
        "--probe-interval", "Default: 5s", "--failure-threshold", "Default: 3", "--success-threshold",
        "--ttl", "Default: 60s", "--keepalive-interval", "Default: 30s", "--drain-period", "Default: 10s",
        "--inflight-url", "--api-port", "Default: 15000", "--backoff-max",
        "--admin-port", "VERTICE_ADMIN_PORT", "Default: 9702", "--admin-host", "VERTICE_ADMIN_HOST",
        "Default: 0.0.0.0")) {
      assertTrue(help.contains(s), "help lacks " + s + ":\n" + out);
    }
  }

  @Test
  void environmentVariableNamesFollowTheFlags() {
    assertEquals("VERTICE_PROBE_INTERVAL", SidecarFlags.envOf("--probe-interval"));
  }
}
