package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vertice.security.auth.BearerTokenCredentials;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.sidecar.TestControlPlane;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestCerts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar command as a child process with every TLS flag: HTTPS local API requiring the app's
 * client certificate, HTTPS admin port, registration through a mutual-TLS control plane with a
 * bearer token, and no plaintext warning.
 */
class SidecarTlsProcessTest {

  private static final Pattern API = Pattern.compile("local API on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern ADMIN = Pattern.compile("admin: https://127\\.0\\.0\\.1:(\\d+)/metrics");

  @TempDir
  Path dir;
  private final List<AutoCloseable> closeables = new ArrayList<>();

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

  @Test
  void sidecarWithEveryTlsFlagRegistersOverMutualTlsAndServesHttps() throws Exception {
    TestCerts ca = TestCerts.ca(dir, "ca");
    TestCerts.Pair cpPair = ca.server("control-plane", "localhost", "127.0.0.1");
    TestCerts.Pair sidecarServer = ca.server("sidecar", "localhost", "127.0.0.1");
    TestCerts.Pair sidecarClient = ca.client("orders-sidecar", "spiffe://vertice/service/orders");
    TestCerts.Pair appClient = ca.client("orders-app", "spiffe://vertice/app/orders");
    Path token = Files.writeString(dir.resolve("token"), "sidecar-secret-7\n");

    Set<String> authorizations = ConcurrentHashMap.newKeySet();
    ServerInterceptor recordToken = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String a = headers.get(BearerTokenCredentials.AUTHORIZATION);
        authorizations.add(a == null ? "none" : a);
        return next.startCall(call, headers);
      }
    };
    ReloadingTls cpTls = closeLater(ReloadingTls.forServer(TlsSettings.server(cpPair.cert(), cpPair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert())));
    TestControlPlane cp = closeLater(TestControlPlane.startTls(cpTls.serverCredentials(), List.of(recordToken)));
    HttpServer app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    app.createContext("/", x -> {
      x.sendResponseHeaders(200, -1);
      x.close();
    });
    app.start();
    closeLater(() -> app.stop(0));
    Children children = closeLater(new Children(dir));
    Children.Child sidecar = children.start("sidecar", "dev.vertice.launcher.SidecarCommand", List.of(
        "--service-name", "orders", "--port", Integer.toString(app.getAddress().getPort()),
        "--control-plane", "localhost:" + cp.port(), "--api-port", "0", "--admin-host", "127.0.0.1",
        "--admin-port", "0",
        "--tls-cert", sidecarServer.cert().toString(), "--tls-key", sidecarServer.key().toString(),
        "--tls-client-ca", ca.caCert().toString(),
        "--control-plane-ca", ca.caCert().toString(), "--control-plane-cert", sidecarClient.cert().toString(),
        "--control-plane-key", sidecarClient.key().toString(), "--control-plane-token-file", token.toString()));
    int api;
    int admin;
    try {
      api = Integer.parseInt(sidecar.await(API, Duration.ofSeconds(30)));
      admin = Integer.parseInt(sidecar.await(ADMIN, Duration.ofSeconds(30)));
    } catch (AssertionError e) {
      throw new AssertionError(String.join("\n", sidecar.lines()), e);
    }
    String id = "127.0.0.1:" + app.getAddress().getPort();
    Await.until("registered through the mutual-TLS control plane", Duration.ofSeconds(30),
        () -> cp.instance("orders", id).isPresent());
    assertEquals(Set.of("Bearer sidecar-secret-7"), authorizations);

    ReloadingTls trust = closeLater(ReloadingTls.forClient(TlsSettings.client(ca.caCert())));
    ReloadingTls withCert = closeLater(ReloadingTls.forClient(TlsSettings.client(ca.caCert())
        .withIdentity(appClient.cert(), appClient.key())));
    Await.until("/healthz over HTTPS is 200 while registered", Duration.ofSeconds(30),
        () -> status(trust.sslContext(), "https://localhost:" + admin + "/healthz") == 200);
    HttpResponse<String> status = get(withCert.sslContext(), "https://localhost:" + api + "/v1/status");
    assertEquals(200, status.statusCode(), status.body());
    assertTrue(status.body().contains("\"registered\":true"), status.body());
    assertThrows(IOException.class, () -> get(trust.sslContext(), "https://localhost:" + api + "/v1/status"),
        "the local API requires the app's client certificate");

    List<String> log = sidecar.lines();
    assertFalse(log.stream().anyMatch(l -> l.contains("PLAINTEXT")), String.join("\n", log));
    assertFalse(log.stream().anyMatch(l -> l.contains("sidecar-secret-7")), "the token is never logged");
  }

  private static HttpResponse<String> get(SSLContext ssl, String url) throws IOException, InterruptedException {
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build()
        .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static int status(SSLContext ssl, String url) {
    try {
      return get(ssl, url).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
