package dev.vertice.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.demo.DemoConfig;
import dev.vertice.demo.EchoHttpServer;
import dev.vertice.security.auth.BearerTokenCredentials;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.FakeClock;
import dev.vertice.testkit.TestCerts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar over TLS with real openssl-made certificates: its local API as HTTPS (mutual TLS
 * when asked), and its registration through a control plane that insists on client certificates,
 * carrying a bearer token.
 */
class SidecarTlsTest {

  @TempDir
  Path dir;

  private final FakeClock clock = new FakeClock();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private TestCerts ca;
  private TestCerts.Pair serverPair;
  private TestCerts.Pair clientPair;

  @BeforeEach
  void setUp() throws IOException {
    ca = TestCerts.ca(dir, "test-ca");
    serverPair = ca.server("server", "localhost", "127.0.0.1");
    clientPair = ca.client("orders", "spiffe://vertice/service/orders");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  private ReloadingTls client(boolean withCert) throws Exception {
    TlsSettings s = TlsSettings.client(ca.caCert());
    return closeLater(ReloadingTls.forClient(withCert ? s.withIdentity(clientPair.cert(), clientPair.key()) : s));
  }

  private Sidecar start(SidecarConfig config, Sidecar.Builder extra) {
    Sidecar s = closeLater(extra.ticker(clock).scheduler(clock.scheduler()).worker(Runnable::run).build());
    s.start();
    return s;
  }

  private static HttpResponse<String> get(SSLContext ssl, String url) throws Exception {
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build()
        .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void localApiServesHttpsAndRefusesAnAppWithoutItsCertificateWhenRequired() throws Exception {
    TestControlPlane cp = closeLater(TestControlPlane.start(Duration.ofSeconds(5), 0));
    EchoHttpServer app = closeLater(EchoHttpServer.start(DemoConfig.custom().service("orders").build()));
    ReloadingTls apiTls = closeLater(ReloadingTls.forServer(TlsSettings.server(serverPair.cert(), serverPair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert())));
    SidecarConfig config = SidecarConfig.custom("orders", app.port()).controlPlane(cp.address()).apiPort(0)
        .callTimeout(Duration.ofSeconds(30)).build();
    Sidecar sidecar = start(config, Sidecar.builder(config).apiTls(apiTls));

    String status = "https://localhost:" + sidecar.apiPort() + "/v1/status";
    HttpResponse<String> r = get(client(true).sslContext(), status);
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"service\":\"orders\""), r.body());
    assertTrue(r.body().contains("\"phase\":\"RUNNING\""), r.body());

    SSLContext noCert = client(false).sslContext();
    assertThrows(IOException.class, () -> get(noCert, status));
  }

  @Test
  void registersThroughAMutualTlsControlPlaneWithItsCertificateAndToken() throws Exception {
    Set<String> authorizations = ConcurrentHashMap.newKeySet();
    ServerInterceptor recordToken = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String a = headers.get(BearerTokenCredentials.AUTHORIZATION);
        if (a != null) {
          authorizations.add(a);
        }
        return next.startCall(call, headers);
      }
    };
    ReloadingTls cpTls = closeLater(ReloadingTls.forServer(TlsSettings.server(serverPair.cert(), serverPair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert())));
    TestControlPlane cp = closeLater(TestControlPlane.startTls(cpTls.serverCredentials(), List.of(recordToken)));
    EchoHttpServer app = closeLater(EchoHttpServer.start(DemoConfig.custom().service("orders").build()));
    // A generous deadline: the first TLS call of a cold JVM on a busy machine can take seconds.
    SidecarConfig config = SidecarConfig.custom("orders", app.port()).controlPlane("localhost:" + cp.port())
        .apiPort(0).callTimeout(Duration.ofSeconds(30)).build();
    Sidecar sidecar = start(config, Sidecar.builder(config)
        .controlPlaneCredentials(client(true).channelCredentials())
        .controlPlaneCallCredentials(BearerTokenCredentials.of("sidecar-token")));

    String id = "127.0.0.1:" + app.port();
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, cp.instance("orders", id).orElseThrow().getHealth());
    assertTrue(sidecar.registration().orElseThrow().isActive());
    assertEquals(Set.of("Bearer sidecar-token"), authorizations);
  }
}
