package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ControlPlaneCommandTest {

  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

  private final List<Process> processes = new ArrayList<>();

  @TempDir
  Path tmp;

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--port|70000|--port",
    "--port|http|--port",
    "--lease-ttl|5x|--lease-ttl",
    "--lease-ttl|2h|--lease-ttl",
    "--lease-grace|-1s|--lease-grace",
    "--max-instances|0|--max-instances",
    "--max-instances-per-service|0|--max-instances-per-service",
    "--max-batch-size|0|--max-batch-size",
    "--store-min-replicas|1|--store-min-replicas",
    "--max-message-bytes|10|--max-message-bytes",
    "--max-subscriptions|0|--max-subscriptions",
    "--max-pending-bytes-per-stream|0|--max-pending-bytes-per-stream",
    "--max-pending-bytes-per-connection|-1|--max-pending-bytes-per-connection",
    "--max-pending-bytes-per-process|0|--max-pending-bytes-per-process",
    "--admin-port|-2|--admin-port",
    "--shutdown-grace|soon|--shutdown-grace",
    "--store|postgres://db|--store",
    "--store|redis://host:port|--store",
    "--store|redis-sentinel://127.0.0.1:26379|--store",
    "--auth|maybe|--auth",
    "--register-rate|0|--register-rate",
    "--set-health-rate|-1|--set-health-rate",
    "--watch-rate|0|--watch-rate",
    "--max-streams-per-connection|0|--max-streams-per-connection",
    "--auth-policy|/nonexistent/policy|--auth-policy",
    "--jwt-audience|vertice|--jwt-audience"
  })
  void invalidSettingExitsWith2AndNamesIt(String option, String value, String named) {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
        "control-plane", "--host", "127.0.0.1", option, value);
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(named), err.toString());
  }

  @Test
  void aNegativeReplicaCountExitsWith2AndNamesIt() {
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
        "control-plane", "--host", "127.0.0.1", "--store", "redis://127.0.0.1:1/0", "--store-min-replicas", "-1");
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("--store-min-replicas"), err.toString());
  }

  @Test
  void invalidAuthSettingsExitWith2AndNameThem() throws Exception {
    Path shortSecret = Files.writeString(tmp.resolve("short-secret"), "too-short");
    Path badPolicy = Files.writeString(tmp.resolve("policy.properties"), "role.bob = root\n");
    String[][] cases = {
        {"--trust-domain", "Bad Domain"},
        {"--auth-policy", "/nonexistent/policy"},
        {"--auth-policy", badPolicy.toString()},
        {"--jwt-hs256-secret-file", shortSecret.toString()},
        {"--jwt-ed25519-public-key-file", shortSecret.toString()},
        {"--jwt-audience", "vertice"},
    };
    for (String[] c : cases) {
      StringWriter err = new StringWriter();
      int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
          "control-plane", "--host", "127.0.0.1", "--auth", "on", c[0], c[1]);
      assertEquals(2, code, String.join(" ", c) + ": " + err);
      assertTrue(err.toString().contains(c[0]), err.toString());
      assertTrue(!err.toString().contains("too-short"), "the secret must not appear: " + err);
    }
  }

  @Test
  void authOnRefusesUnauthenticatedCallsAndAcceptsSignedTokens() throws Exception {
    byte[] secret = "launcher-test-secret-0123456789-abcdef".getBytes(StandardCharsets.US_ASCII);
    Path secretFile = Files.write(tmp.resolve("jwt.secret"), secret);
    Path policy = Files.writeString(tmp.resolve("auth.properties"), "role.ops = admin\n");
    Path log = Files.createTempFile(tmp, "control-plane", ".log");
    Process p = start(Map.of("VERTICE_AUTH", "on", "VERTICE_JWT_HS256_SECRET_FILE", secretFile.toString(),
        "VERTICE_AUTH_POLICY", policy.toString()), log);
    String ready = Await.value("the control plane logs its address", Duration.ofSeconds(60),
        () -> lines(log).stream().filter(l -> LISTENING.matcher(l).find()).findFirst().orElse(null));
    Matcher m = LISTENING.matcher(ready);
    assertTrue(m.find());
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(m.group(1))).usePlaintext().build();
    String token = dev.vertice.testkit.TestJwts.hs256(secret, dev.vertice.testkit.TestJwts.claims("orders",
        java.time.Instant.now().plusSeconds(300).getEpochSecond(), null));
    try {
      assertEquals(HealthCheckResponse.ServingStatus.SERVING,
          HealthGrpc.newBlockingStub(c)
              .withInterceptors(TestDeadlines.grpc()).check(HealthCheckRequest.getDefaultInstance()).getStatus());
      dev.vertice.api.registry.v1.RegisterRequest register = dev.vertice.api.registry.v1.RegisterRequest.newBuilder()
          .setInstance(dev.vertice.api.registry.v1.Instance.newBuilder().setService("orders").setAddress("10.0.0.1")
              .setPort(80)).build();
      io.grpc.StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
          io.grpc.StatusRuntimeException.class,
          () -> dev.vertice.api.registry.v1.RegistryServiceGrpc.newBlockingStub(c)
              .withInterceptors(TestDeadlines.grpc()).register(register));
      assertEquals(io.grpc.Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      // Every denial is counted on the admin port, logged or not.
      Matcher admin = Pattern.compile("admin: http://127\\.0\\.0\\.1:(\\d+)/metrics").matcher(ready);
      assertTrue(admin.find(), ready);
      String scrape = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + admin.group(1) + "/metrics")).timeout(TestDeadlines.HTTP).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      Matcher denials = Pattern.compile("(?m)^vertice_auth_denials_total(?:\\{[^}]*\\})? ([0-9.]+)").matcher(scrape);
      assertTrue(denials.find(), scrape);
      assertTrue(Double.parseDouble(denials.group(1)) >= 1, denials.group());
      // The header is attached raw: BearerTokenCredentials refuses to send a token without TLS, and this
      // control plane runs auth on over plaintext (which it warns about) to test the server side alone.
      io.grpc.Metadata authorization = new io.grpc.Metadata();
      authorization.put(dev.vertice.security.auth.BearerTokenCredentials.AUTHORIZATION, "Bearer " + token);
      assertEquals("orders", dev.vertice.api.registry.v1.RegistryServiceGrpc.newBlockingStub(c)
          .withInterceptors(TestDeadlines.grpc())
          .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(authorization)).register(register)
          .getService());
    } finally {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    p.destroy();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
    List<String> lines = lines(log);
    assertTrue(lines.stream().anyMatch(l -> l.contains("auth on: trust domain vertice")), String.join("\n", lines));
    assertTrue(lines.stream().anyMatch(l -> l.contains("denied vertice.registry.v1.RegistryService/Register")),
        String.join("\n", lines));
    assertTrue(lines.stream().noneMatch(l -> l.contains(token)), "a token reached the log");
  }

  @Test
  void helpDocumentsEverySettingWithItsDefaultAndVariable() {
    StringWriter out = new StringWriter();
    assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter()), "control-plane",
        "--help"));
    for (String s : List.of("--port", "VERTICE_PORT", "Default: 7700", "--lease-ttl", "Default: 60s",
        "--lease-grace", "Default: 5s", "--keepalive-interval", "Default: 30s", "--auth", "VERTICE_AUTH", "Default: off",
        "--auth-policy", "--trust-domain", "Default: vertice", "--jwt-hs256-secret-file",
        "--jwt-ed25519-public-key-file", "--jwt-audience", "--register-rate", "--set-health-rate", "--watch-rate",
        "--max-streams-per-connection", "VERTICE_MAX_STREAMS_PER_CONNECTION")) {
      assertTrue(out.toString().replaceAll("\\s+", " ").contains(s), "help lacks " + s + ":\n" + out);
    }
  }

  @Test
  void environmentVariableIsValidatedLikeTheFlag() throws Exception {
    Process p = start(Map.of("VERTICE_LEASE_TTL", "forever"), null);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(err.contains("--lease-ttl"), err);
  }

  @Test
  void startsServesAndStopsCleanlyOnSigterm() throws Exception {
    // The log goes to a file: reading a child's pipe while it exits can lose its last lines.
    Path log = Files.createTempFile(tmp, "control-plane", ".log");
    Process p = start(Map.of(), log);
    String ready = Await.value("the control plane logs its address", Duration.ofSeconds(60),
        () -> lines(log).stream().filter(l -> LISTENING.matcher(l).find()).findFirst().orElse(null));
    assertTrue(ready.contains("store: memory"), ready);
    Matcher m = LISTENING.matcher(ready);
    assertTrue(m.find());
    int port = Integer.parseInt(m.group(1));
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      assertEquals(HealthCheckResponse.ServingStatus.SERVING,
          HealthGrpc.newBlockingStub(c)
              .withInterceptors(TestDeadlines.grpc()).check(HealthCheckRequest.getDefaultInstance()).getStatus());
    } finally {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    Matcher admin = Pattern.compile("admin: (http://127\\.0\\.0\\.1:\\d+)/metrics").matcher(ready);
    assertTrue(admin.find(), ready);
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(admin.group(1) + "/metrics"))
        .timeout(TestDeadlines.HTTP).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, metrics.statusCode());
    for (String name : List.of("vertice_instances ", "vertice_watch_streams ", "vertice_registrations_total{",
        "vertice_push_convergence_seconds_bucket{", "jvm_memory_used_bytes{",
        "vertice_rpc_server_seconds_bucket{code=\"OK\",method=\"grpc.health.v1.Health/Check\",type=\"unary\"")) {
      assertTrue(metrics.body().contains(name), "/metrics lacks " + name);
    }
    assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(admin.group(1) + "/healthz"))
        .timeout(TestDeadlines.HTTP).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
    List<String> lines = lines(log);
    assertEquals(0, p.exitValue(), String.join("\n", lines));
    assertTrue(lines.stream().anyMatch(l -> l.contains("stopped")), String.join("\n", lines));
    assertTrue(lines.stream().anyMatch(l -> l.contains("authentication and authorization are OFF")),
        String.join("\n", lines));
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Process start(Map<String, String> env, Path log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "dev.vertice.launcher.Main", "control-plane", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0");
    pb.environment().putAll(env);
    if (log != null) {
      pb.redirectErrorStream(true).redirectOutput(log.toFile());
    }
    Process p = pb.start();
    processes.add(p);
    return p;
  }
}
