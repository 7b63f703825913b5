package dev.vertice.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./vertice sidecar} as users run it: the packaged {@code launcher/target/vertice-sidecar.jar}
 * (the launcher's classes, with the sidecar module and its dependencies merged in one jar as its
 * whole classpath) and the JVM flags of the {@code vertice} script, supervising a demo app with
 * {@code --exec}, tracing configured, against a control plane from {@code vertice.jar}. A class
 * missing from that classpath, or a service file lost in the merge, shows here and nowhere else:
 * the other process tests run on Maven's test classpath. It lives in this module because this one
 * is built after the launcher's jars are packaged.
 */
@Timeout(120)
class SidecarJarProcessTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern API = Pattern.compile("local API on http://127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern ADMIN = Pattern.compile("admin: http://[^ :]+:(\\d+)/metrics");

  @TempDir
  Path dir;

  private final List<Process> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stopAll() throws InterruptedException {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void thePackagedSidecarRegistersSupervisesServesAndDrains() throws Exception {
    Path jar = ROOT.resolve("launcher/target/vertice.jar");
    Path sidecarJar = ROOT.resolve("launcher/target/vertice-sidecar.jar");
    assertTrue(Files.isRegularFile(sidecarJar), sidecarJar + " is built by the launcher's package phase");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    Path cpLog = dir.resolve("control-plane.log");
    start(cpLog, List.of(), java, "-XX:+UseSerialGC", "-jar", jar.toString(), "control-plane", "--host", "127.0.0.1",
        "--port", "0", "--admin-port", "0");
    String cp = "127.0.0.1:" + await(cpLog, LISTENING);

    int appPort = freePort();
    int nowhere = freePort(); // the OTLP endpoint: nothing listens, exports fail quietly
    List<String> cmd = new ArrayList<>(List.of(java));
    cmd.addAll(scriptFlags());
    cmd.addAll(List.of("-cp", sidecarJar.toString(), "dev.vertice.launcher.SidecarCommand",
        "--service-name", "jarcheck", "--port", String.valueOf(appPort), "--control-plane", cp,
        "--api-port", "0", "--admin-port", "0", "--upstreams", "jarcheck", "--probe-interval", "300ms",
        "--probe-timeout", "300ms", "--drain-period", "1s",
        "--exec", java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "demo",
        "--service", "jarcheck", "--port", String.valueOf(appPort)));
    Path log = dir.resolve("sidecar.log");
    Process sidecar = start(log, List.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + nowhere), cmd);

    await(log, Pattern.compile("(registered jarcheck/)"));
    String api = "http://127.0.0.1:" + await(log, API);
    String admin = "http://127.0.0.1:" + await(log, ADMIN);
    Await.until("the pushed endpoint is SERVING in the local API", WAIT,
        () -> get(api + "/v1/endpoints/jarcheck").contains("SERVING")
            && !get(api + "/v1/endpoints/jarcheck").contains("NOT_SERVING"));
    Await.until("the admin port reports the app up and the instance registered", WAIT, () -> {
      String metrics = get(admin + "/metrics");
      return metrics.contains("vertice_sidecar_app_up 1.0") && metrics.contains("vertice_sidecar_registered 1.0");
    });
    String metrics = get(admin + "/metrics");
    // The series the dashboards read from every job, written by SmallMetrics: Micrometer is not in this jar.
    for (String series : List.of("jvm_memory_used_bytes{area=\"heap\"", "jvm_gc_pause_seconds_sum{gc=",
        "jvm_threads_live_threads ", "process_cpu_usage ", "process_files_open_files ",
        "vertice_watch_synced 1.0", "vertice_sidecar_probe_seconds_bucket{le=\"0.001\"}")) {
      assertTrue(metrics.contains(series), "the packaged sidecar's /metrics lacks " + series + ":\n" + metrics);
    }
    try (var jars = Files.list(ROOT.resolve("sidecar/target"))) {
      Path all = jars.filter(p -> p.getFileName().toString().endsWith("-all.jar")).findFirst().orElseThrow();
      try (var zip = new java.util.zip.ZipFile(all.toFile())) {
        assertFalse(zip.stream().anyMatch(e -> e.getName().startsWith("io/micrometer/")),
            all + " leaves Micrometer out");
        assertFalse(zip.stream().anyMatch(e -> e.getName().startsWith("picocli/")), all + " leaves picocli out");
      }
    }
    try (var launcher = new java.util.jar.JarFile(sidecarJar.toFile())) {
      String classPath = launcher.getManifest().getMainAttributes().getValue("Class-Path");
      // The sidecar command parses its own flags (SidecarFlags): picocli's command model cost 3 MiB of RSS.
      assertFalse(classPath.contains("picocli"), sidecarJar + "'s classpath: " + classPath);
    }

    sidecar.destroy(); // SIGTERM: drain, deregister, stop the app, exit 0
    assertTrue(sidecar.waitFor(60, TimeUnit.SECONDS), "the sidecar exits after its drain");
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, sidecar.exitValue(), text);
    for (String broken : List.of("NoClassDefFoundError", "ClassNotFoundException", "ServiceConfigurationError",
        "NoSuchMethodError")) {
      assertFalse(text.contains(broken), "the packaged classpath lacks something:\n" + text);
    }
  }

  /** The sidecar's JVM flags, from the {@code vertice} script's {@code java_opts} (as footprint.sh reads them). */
  private static List<String> scriptFlags() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "-c",
        "source <(sed -n '/^java_opts()/,/^}/p' \"$0\"); java_opts sidecar", ROOT.resolve("vertice").toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    assertTrue(out.contains("-XX:+UseSerialGC"), "java_opts sidecar: " + out);
    return List.of(out.split("\\s+"));
  }

  private Process start(Path log, List<String> env, String... cmd) throws IOException {
    return start(log, env, List.of(cmd));
  }

  private Process start(Path log, List<String> env, List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    for (int i = 0; i + 1 < env.size(); i += 2) {
      pb.environment().put(env.get(i), env.get(i + 1));
    }
    Process p = pb.start();
    processes.add(0, p);
    return p;
  }

  private static String await(Path log, Pattern p) throws IOException {
    try {
      return Await.value("a line matching " + p + " in " + log, WAIT, () -> {
        try {
          Matcher m = p.matcher(Files.readString(log, StandardCharsets.UTF_8));
          return m.find() ? m.group(1) : null;
        } catch (IOException e) {
          return null;
        }
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; the log:\n" + Files.readString(log, StandardCharsets.UTF_8), e);
    }
  }

  private String get(String url) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  // Below the ephemeral range: the processes started here bind it later.
  private static int freePort() throws IOException {
    return dev.vertice.common.LocalPorts.freeLoopbackPort();
  }
}
