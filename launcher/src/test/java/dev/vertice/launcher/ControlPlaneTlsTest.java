package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestCerts;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code vertice control-plane} with TLS flags: refused settings, and a child process serving TLS. */
class ControlPlaneTlsTest {

  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
  /** Contents of the bad key file; must never be echoed. */
  private static final String KEY_BYTES = "c2VjcmV0LWtleS1ieXRlcw";

  /** Shared by every test: making certificates costs a few openssl runs. */
  @TempDir
  static Path dir;

  private static TestCerts ca;
  private static TestCerts.Pair server;
  private final List<Process> processes = new ArrayList<>();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void certificates() throws IOException {
    ca = TestCerts.ca(dir.resolve("ca"), "ca");
    server = ca.server("control-plane", "localhost", "127.0.0.1");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  /** Replaces placeholders with this test's files: CERT, KEY, CA, OTHERKEY, GARBAGE, MISSING. */
  private String file(String placeholder) throws IOException {
    return switch (placeholder) {
      case "CERT" -> server.cert().toString();
      case "KEY" -> server.key().toString();
      case "CA" -> ca.caCert().toString();
      case "OTHERKEY" -> ca.server("other", "localhost").key().toString();
      case "GARBAGE" -> {
        Path g = dir.resolve("garbage.pem");
        Files.writeString(g, "-----BEGIN PRIVATE KEY-----\n" + KEY_BYTES + "\n-----END PRIVATE KEY-----\n");
        yield g.toString();
      }
      case "MISSING" -> dir.resolve("missing.pem").toString();
      default -> placeholder;
    };
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--tls-cert CERT|--tls-key",
    "--tls-key KEY|--tls-cert",
    "--tls-cert MISSING --tls-key KEY|--tls-cert",
    "--tls-cert CERT --tls-key MISSING|--tls-key",
    "--tls-cert GARBAGE --tls-key KEY|--tls-cert",
    "--tls-cert CERT --tls-key GARBAGE|--tls-key",
    "--tls-cert CERT --tls-key OTHERKEY|--tls-key",
    "--tls-cert CERT --tls-key KEY --tls-client-auth maybe|--tls-client-auth",
    "--tls-cert CERT --tls-key KEY --tls-client-auth require|--tls-client-auth",
    "--tls-cert CERT --tls-key KEY --tls-client-auth none --tls-client-ca CA|--tls-client-auth",
    "--tls-cert CERT --tls-key KEY --tls-client-ca GARBAGE|--tls-client-ca",
    "--tls-cert CERT --tls-key KEY --tls-client-ca MISSING|--tls-client-ca",
    "--tls-client-ca CA|--tls-client-ca",
    "--tls-client-auth require|--tls-client-auth",
    "--tls-cert CERT --tls-key KEY --tls-refresh 0s|--tls-refresh",
    "--tls-cert CERT --tls-key KEY --tls-refresh soon|--tls-refresh"
  })
  void invalidTlsSettingExitsWith2AndNamesIt(String flags, String named) throws IOException {
    List<String> args = new ArrayList<>(List.of("control-plane", "--host", "127.0.0.1", "--port", "0",
        "--admin-port", "-1"));
    for (String f : flags.split(" ")) {
      args.add(file(f));
    }
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args.toArray(String[]::new));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("invalid " + named) || err.toString().contains("option '" + named + "'"),
        err.toString());
    assertFalse(err.toString().contains(KEY_BYTES), "no key material in messages: " + err);
  }

  @Test
  void servesTlsOnTheGrpcAndAdminPortsAndRefusesPlaintext() throws Exception {
    Path log = Files.createTempFile(dir, "control-plane", ".log");
    Process p = start(log, "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString());
    String ready = Await.value("the control plane logs its address", Duration.ofSeconds(60),
        () -> lines(log).stream().filter(l -> LISTENING.matcher(l).find()).findFirst().orElse(null));
    assertTrue(p.isAlive());
    assertTrue(ready.contains("(tls, client certificates: none;"), ready);
    assertFalse(lines(log).stream().anyMatch(l -> l.contains("plaintext:")), String.join("\n", lines(log)));
    Matcher m = LISTENING.matcher(ready);
    assertTrue(m.find());
    String address = "127.0.0.1:" + m.group(1);

    ReloadingTls client = closing(ReloadingTls.forClient(TlsSettings.client(ca.caCert())));
    ManagedChannel tls = NettyChannelBuilder.forTarget(address, client.channelCredentials()).build();
    ManagedChannel plaintext = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(tls)
          .withInterceptors(TestDeadlines.grpc())
          .withDeadlineAfter(30, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> HealthGrpc.newBlockingStub(plaintext)
          .withInterceptors(TestDeadlines.grpc())
          .withDeadlineAfter(30, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    } finally {
      tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      plaintext.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    Matcher admin = Pattern.compile("admin: (https://127\\.0\\.0\\.1:\\d+)/metrics").matcher(ready);
    assertTrue(admin.find(), ready);
    HttpClient https = HttpClient.newBuilder().sslContext(client.sslContext()).build();
    HttpResponse<String> metrics = https.send(HttpRequest.newBuilder(URI.create(admin.group(1) + "/metrics"))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("vertice_instances "), metrics.body());
    HttpClient untrusting = HttpClient.newHttpClient();
    assertThrows(IOException.class, () -> untrusting.send(HttpRequest.newBuilder(URI.create(admin.group(1)
        + "/metrics")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()),
        "a client that does not trust the CA is refused");

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "canary", "list",
        "--control-plane", address, "--ca", ca.caCert().toString());
    assertEquals(0, code, err.toString());
    assertTrue(out.toString().contains("no rollouts"), out.toString());
    err = new StringWriter();
    code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "canary", "list",
        "--control-plane", address, "--timeout", "30s");
    assertEquals(1, code, "a plaintext CLI call is refused: " + err);
    assertTrue(err.toString().contains("cannot reach the control plane"), err.toString());
  }

  @Test
  void clientCaFlagRequiresClientCertificatesOnTheGrpcListener() throws Exception {
    Path log = Files.createTempFile(dir, "control-plane", ".log");
    start(log, "--tls-cert", server.cert().toString(), "--tls-key", server.key().toString(), "--tls-client-ca",
        ca.caCert().toString());
    String ready = Await.value("the control plane logs its address", Duration.ofSeconds(60),
        () -> lines(log).stream().filter(l -> LISTENING.matcher(l).find()).findFirst().orElse(null));
    assertTrue(ready.contains("(tls, client certificates: require;"), ready);
    Matcher m = LISTENING.matcher(ready);
    assertTrue(m.find());
    String address = "127.0.0.1:" + m.group(1);
    TestCerts.Pair operator = ca.client("operator", "spiffe://vertice/user/operator");

    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "canary", "list",
        "--control-plane", address, "--ca", ca.caCert().toString(), "--timeout", "30s");
    assertEquals(1, code, "no client certificate: refused. " + err);
    StringWriter out = new StringWriter();
    err = new StringWriter();
    code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "canary", "list", "--control-plane",
        address, "--ca", ca.caCert().toString(), "--cert", operator.cert().toString(), "--key",
        operator.key().toString(), "--timeout", "30s");
    assertEquals(0, code, err.toString());
    assertTrue(out.toString().contains("no rollouts"), out.toString());
  }

  @Test
  void environmentVariablesAreValidatedLikeTheFlags() throws Exception {
    Path log = Files.createTempFile(dir, "control-plane", ".log");
    Process p = start(log, java.util.Map.of("VERTICE_TLS_CERT", server.cert().toString(),
        "VERTICE_TLS_CLIENT_AUTH", "require"));
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue(), String.join("\n", lines(log)));
    assertTrue(lines(log).stream().anyMatch(l -> l.contains("invalid --tls-key")), String.join("\n", lines(log)));
  }

  @Test
  void plaintextControlPlaneWarnsLoudly() throws Exception {
    Path log = Files.createTempFile(dir, "control-plane", ".log");
    start(log);
    String warning = Await.value("the plaintext warning", Duration.ofSeconds(30),
        () -> lines(log).stream().filter(l -> l.contains("plaintext: anyone on the network can read and steer"))
            .findFirst().orElse(null));
    assertTrue(warning.contains(" WARNING "), warning);
    Await.until("the control plane starts", Duration.ofSeconds(30),
        () -> lines(log).stream().anyMatch(l -> l.contains("(plaintext; store: memory")));
  }

  private <T extends AutoCloseable> T closing(T c) {
    closing.add(c);
    return c;
  }

  private Process start(Path log, String... extra) throws IOException {
    return start(log, java.util.Map.of(), extra);
  }

  private Process start(Path log, java.util.Map<String, String> env, String... extra) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), "dev.vertice.launcher.Main", "control-plane", "--host", "127.0.0.1",
        "--port", "0", "--admin-port", "0"));
    cmd.addAll(List.of(extra));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
