package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.security.auth.BearerTokenCredentials;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestCerts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./vertice gateway} as a child process with every TLS flag set, against a control plane
 * that insists on client certificates: HTTPS proxying (HTTP/2 by ALPN), an HTTPS admin port, the
 * watch and stats connections over mutual TLS with a bearer token, and no plaintext warning.
 */
class GatewayTlsProcessTest {

  private static final Pattern READY = Pattern.compile(
      "listening on 127\\.0\\.0\\.1:(\\d+) \\(HTTPS.*control plane \\S+ over TLS.*admin: https://127\\.0\\.0\\.1:(\\d+)/metrics");

  @TempDir
  Path tmp;
  private Process process;
  private ControlPlane controlPlane;
  private ControlPlaneServer server;
  private ReloadingTls serverTls;
  private ReloadingTls clientTls;
  private HttpServer upstream;

  @AfterEach
  void tearDown() throws Exception {
    if (process != null) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (upstream != null) {
      upstream.stop(0);
    }
    if (server != null) {
      server.stop(Duration.ZERO);
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
    for (ReloadingTls t : new ReloadingTls[] {serverTls, clientTls}) {
      if (t != null) {
        t.close();
      }
    }
  }

  @Test
  void gatewayServesHttpsAndWatchesAMutualTlsControlPlaneWithAToken() throws Exception {
    TestCerts ca = TestCerts.ca(tmp, "ca");
    TestCerts.Pair cpPair = ca.server("control-plane", "localhost", "127.0.0.1");
    TestCerts.Pair gwPair = ca.server("gateway", "localhost", "127.0.0.1");
    TestCerts.Pair gwClient = ca.client("gateway", "spiffe://vertice/gateway");
    Path token = Files.writeString(tmp.resolve("token"), "gateway-token-42\n");

    Set<String> seen = ConcurrentHashMap.newKeySet();
    ServerInterceptor recordCalls = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        seen.add(call.getMethodDescriptor().getServiceName() + " " + headers.get(BearerTokenCredentials.AUTHORIZATION));
        return next.startCall(call, headers);
      }
    };
    controlPlane = ControlPlane.builder().build();
    serverTls = ReloadingTls.forServer(TlsSettings.server(cpPair.cert(), cpPair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert()));
    server = new ControlPlaneServer(controlPlane, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES,
        List.of(recordCalls), serverTls.serverCredentials());
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    upstream.createContext("/", x -> {
      x.getRequestBody().readAllBytes();
      byte[] body = ("proto=" + x.getRequestHeaders().getFirst("X-Forwarded-Proto")).getBytes(StandardCharsets.UTF_8);
      x.sendResponseHeaders(200, body.length);
      x.getResponseBody().write(body);
      x.close();
    });
    upstream.start();
    controlPlane.store().register(Instance.newBuilder().setService("orders").setInstanceId("o1")
        .setAddress("127.0.0.1").setPort(upstream.getAddress().getPort()).setVersion("v1").setWeight(100)
        .setProtocol(Protocol.PROTOCOL_HTTP).setHealth(HealthStatus.HEALTH_STATUS_SERVING).build(),
        Duration.ofMinutes(10), Duration.ofMinutes(10));

    Path log = Files.createTempFile(tmp, "gateway", ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.vertice.launcher.Main",
        "gateway", "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--admin-port", "0",
        "--control-plane", "localhost:" + server.port(),
        "--tls-cert", gwPair.cert().toString(), "--tls-key", gwPair.key().toString(),
        "--control-plane-ca", ca.caCert().toString(), "--control-plane-cert", gwClient.cert().toString(),
        "--control-plane-key", gwClient.key().toString(), "--control-plane-token-file", token.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    String ready;
    try {
      ready = Await.value("the gateway logs its addresses", Duration.ofSeconds(60),
          () -> lines(log).stream().filter(l -> READY.matcher(l).find()).findFirst().orElse(null));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; the gateway's log:\n" + String.join("\n", lines(log)), e);
    }
    Matcher m = READY.matcher(ready);
    assertTrue(m.find());

    clientTls = ReloadingTls.forClient(TlsSettings.client(ca.caCert()));
    HttpClient https = HttpClient.newBuilder().sslContext(clientTls.sslContext()).build();
    String admin = "https://localhost:" + m.group(2);
    Await.until("/healthz over HTTPS is 200 once the first snapshot arrived over mutual TLS",
        Duration.ofSeconds(30), () -> status(https, admin + "/healthz") == 200);
    HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + m.group(1)
        + "/orders/x")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(HttpClient.Version.HTTP_2, r.version());
    assertEquals("proto=https", r.body());
    // The stats reporter also connects with the certificate and the token.
    Await.until("stats reported over mutual TLS with the token", Duration.ofSeconds(30),
        () -> seen.contains("vertice.stats.v1.StatsService Bearer gateway-token-42"));
    assertTrue(seen.contains("vertice.discovery.v1.DiscoveryService Bearer gateway-token-42"), seen.toString());

    List<String> out = lines(log);
    assertFalse(out.stream().anyMatch(l -> l.contains("PLAINTEXT")), String.join("\n", out));
    assertFalse(out.stream().anyMatch(l -> l.contains("gateway-token-42")), "the token is never logged");
    process.destroy();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
    assertEquals(0, process.exitValue(), String.join("\n", lines(log)));
  }

  private static int status(HttpClient http, String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
