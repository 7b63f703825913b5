package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.Await;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./vertice dev} as a child process on free ports: it becomes ready, routes a request
 * through the gateway to a demo service behind its sidecar, answers the health-check API, and stops
 * on SIGTERM with exit 0 and no process left behind.
 */
class DevCommandTest {

  private static final Pattern READY = Pattern.compile(
      "vertice dev ready in (\\d+) ms .*gateway http://127\\.0\\.0\\.1:(\\d+), control plane 127\\.0\\.0\\.1:(\\d+)");

  @TempDir
  Path dir;

  private Process process;

  @AfterEach
  void tearDown() throws Exception {
    if (process != null && process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void startsEverythingRoutesThroughTheGatewayAndStopsCleanlyOnSigterm() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path err = dir.resolve("dev.err");
    process = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), "dev.vertice.launcher.Main", "dev", "--port", "0", "--grpc-port", "0",
        "--control-plane-port", "0", "--admin-port", "0").redirectError(err.toFile()).start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (Exception e) {
        // the process ended
      }
    }, "dev-stdout");
    reader.setDaemon(true);
    reader.start();

    Await.until("dev mode prints its ready line", Duration.ofSeconds(90),
        () -> lines.stream().anyMatch(l -> READY.matcher(l).find()) || !process.isAlive());
    assertTrue(process.isAlive(), () -> "dev mode exited: " + read(err));
    Matcher m = lines.stream().map(READY::matcher).filter(Matcher::find).findFirst().orElseThrow();
    int gatewayPort = Integer.parseInt(m.group(2));
    Await.until("the what-to-try lines follow", Duration.ofSeconds(5),
        () -> lines.stream().anyMatch(l -> l.startsWith("Ctrl-C stops everything")));
    assertTrue(lines.stream().anyMatch(l -> l.contains("./vertice canary start --control-plane 127.0.0.1:"
        + m.group(3) + " --service test-service --stable v1 --candidate v2")), () -> String.join("\n", lines));

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> echo = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort
        + "/immunis-nk-cell/hello")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, echo.statusCode(), echo.body());
    assertTrue(echo.body().contains("\"service\":\"immunis-nk-cell\""), echo.body());
    assertTrue(echo.body().contains("\"path\":\"/hello\""), echo.body());

    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort
        + "/gateway/health-check/test-service")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode(), health.body());
    assertTrue(health.body().contains("\"status\":\"SERVING\"") && health.body().contains("\"instances_total\":2"),
        health.body());

    // Dev mode keeps the routing table on the public port: its printed curl line works.
    assertTrue(lines.stream().anyMatch(l -> l.contains("curl http://127.0.0.1:" + gatewayPort + "/gateway/routes")),
        () -> String.join("\n", lines));
    HttpResponse<String> routes = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort
        + "/gateway/routes")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, routes.statusCode(), routes.body());
    assertTrue(routes.body().contains("\"test-service\""), routes.body());

    List<ProcessHandle> family = new java.util.ArrayList<>(process.descendants().toList());
    family.add(process.toHandle());
    process.destroy(); // SIGTERM
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "dev mode stopped within 30 s of SIGTERM");
    assertEquals(0, process.exitValue(), () -> read(err));
    for (ProcessHandle h : family) {
      Await.until("process " + h.pid() + " ended", Duration.ofSeconds(5), () -> !h.isAlive());
    }
    assertTrue(read(err).contains("vertice.dev: stopped"), () -> read(err));
    assertTrue(read(err).contains("dev mode: plaintext, no auth"), () -> read(err));
  }

  @Test
  void invalidSettingsExitWithCode2NamingTheSetting() {
    assertInvalid("--candidates: 'nope' is not one of --services", "dev", "--candidates", "nope");
    assertInvalid("--services: 'Bad Name!' is not a service name", "dev", "--services", "Bad Name!");
    assertInvalid("--port: 70000 is outside 0..65535", "dev", "--port", "70000");
    assertInvalid("--probe-interval: is below 100ms", "dev", "--probe-interval", "10ms");
    assertInvalid("--base-port: 5 is outside 1024..65519", "cluster", "up", "--base-port", "5", "--dir",
        dir.resolve("c").toString());
    assertInvalid("--candidates: 'nope' is not one of --services", "cluster", "services", "--services", "a-b",
        "--candidates", "nope");
  }

  private static void assertInvalid(String message, String... args) {
    java.io.StringWriter err = new java.io.StringWriter();
    int code = Main.run(new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(err, true),
        args);
    assertEquals(2, code, err::toString);
    assertTrue(err.toString().contains("invalid " + message), err::toString);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (Exception e) {
      return "(unreadable: " + e + ")";
    }
  }
}
