package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.testkit.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./vertice cluster services --admin-port} (what compose's demo container runs, scraped by
 * Prometheus as the sidecars' job): the fleet's sidecars' metrics on one admin port.
 */
class ClusterServicesAdminTest {

  private static final Pattern ADMIN = Pattern.compile("admin: (http://127\\.0\\.0\\.1:\\d+)/metrics");
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path tmp;
  private Process process;
  private ControlPlane controlPlane;
  private ControlPlaneServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void tearDown() throws Exception {
    if (process != null) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.stop(Duration.ZERO);
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
  }

  @Test
  void adminPortServesTheFleetsSidecarMetrics() throws Exception {
    controlPlane = ControlPlane.builder().build();
    server = new ControlPlaneServer(controlPlane, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES);
    Path log = Files.createTempFile(tmp, "services", ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), "dev.vertice.launcher.Main", "cluster", "services", "--control-plane",
        "127.0.0.1:" + server.port(), "--services", "test-service,osint-service", "--admin-host", "127.0.0.1",
        "--admin-port", "0").redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("OTEL_") || k.startsWith("VERTICE_"));
    process = pb.start();
    String line = Await.value("the admin port is logged", WAIT,
        () -> lines(log).stream().filter(l -> ADMIN.matcher(l).find()).findFirst().orElse(null));
    Matcher m = ADMIN.matcher(line);
    assertTrue(m.find());
    String admin = m.group(1);
    Await.until("/healthz is 200 once both instances are registered", WAIT,
        () -> status(admin + "/healthz") == 200);
    assertEquals(2, controlPlane.registry().instanceCount());
    String metrics = Await.value("both sidecars count as registered", WAIT, () -> {
      String body = get(admin + "/metrics");
      return body.contains("vertice_sidecar_registered 2.0") ? body : null;
    });
    for (String name : List.of("vertice_sidecar_probes_total{result=\"success\"}", "vertice_sidecar_probe_seconds_bucket",
        "vertice_sidecar_health_transitions_total", "jvm_memory_used_bytes")) {
      assertTrue(metrics.contains(name), "/metrics lacks " + name + ":\n" + metrics);
    }
    process.destroy();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
    assertEquals(0, process.exitValue(), String.join("\n", lines(log)));
  }

  private int status(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private String get(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }
}
