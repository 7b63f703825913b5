package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestCerts;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's listeners over TLS, against real servers on loopback and real openssl-made
 * certificates: HTTPS with HTTP/1.1 and HTTP/2 chosen by ALPN, gRPC over TLS, mutual TLS refusing
 * a client without a certificate, a TLS + mTLS control plane, and a certificate rotation that keeps
 * an open keep-alive connection working.
 */
class GatewayTlsTest {

  @TempDir
  Path dir;

  private TestCerts ca;
  private TestCerts.Pair serverPair;
  private TestCerts.Pair clientPair;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Upstream upstream;

  @BeforeEach
  void setUp() throws IOException {
    ca = TestCerts.ca(dir, "test-ca");
    serverPair = ca.server("gateway", "localhost", "127.0.0.1", "echo");
    clientPair = ca.client("orders", "spiffe://vertice/service/orders");
    upstream = new Upstream("u1");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    upstream.close();
  }

  private <T extends AutoCloseable> T closing(T c) {
    closeables.add(c);
    return c;
  }

  private ReloadingTls serverTls(TlsSettings.ClientAuth auth, Path cert, Path key) throws Exception {
    TlsSettings s = new TlsSettings(cert, key, auth == TlsSettings.ClientAuth.NONE ? null : ca.caCert(), auth,
        Duration.ofMillis(100));
    return closing(ReloadingTls.forServer(s));
  }

  private ReloadingTls clientTls(boolean withCert) throws Exception {
    TlsSettings s = TlsSettings.client(ca.caCert());
    return closing(ReloadingTls.forClient(withCert ? s.withIdentity(clientPair.cert(), clientPair.key()) : s));
  }

  /** A gateway with {@code tls} routing "orders" to the upstream, from a plaintext control plane. */
  private Gateway gateway(ReloadingTls tls) throws Exception {
    ControlPlaneFixture cp = closing(ControlPlaneFixture.start());
    Gateway g = closing(Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(0).build())
        .controlPlane(cp.address()).tls(tls).start());
    cp.register("orders", "o1", upstream.port());
    awaitRoute(g, "orders");
    return g;
  }

  private static void awaitRoute(Gateway g, String service) {
    Await.until(service + " routed", () -> g.routingState().table().http().containsKey(service)
        && g.routingState().table().http().get(service).hasInstances());
  }

  private static HttpClient client(SSLContext ssl, HttpClient.Version version) {
    return HttpClient.newBuilder().sslContext(ssl).version(version).connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void httpsProxiesHttp11AndHttp2ChosenByAlpn() throws Exception {
    Gateway g = gateway(serverTls(TlsSettings.ClientAuth.NONE, serverPair.cert(), serverPair.key()));
    assertTrue(g.httpProxy().secure());
    SSLContext trust = clientTls(false).sslContext();
    String url = "https://localhost:" + g.port() + "/orders/items?x=1";

    HttpResponse<String> h1 = get(client(trust, HttpClient.Version.HTTP_1_1), url);
    assertEquals(200, h1.statusCode(), h1.body());
    assertEquals(HttpClient.Version.HTTP_1_1, h1.version());
    assertTrue(h1.body().contains("\"instance\":\"u1\""), h1.body());

    HttpResponse<String> h2 = get(client(trust, HttpClient.Version.HTTP_2), url);
    assertEquals(200, h2.statusCode(), h2.body());
    assertEquals(HttpClient.Version.HTTP_2, h2.version(), "ALPN should pick h2");
    assertTrue(h2.body().contains("\"instance\":\"u1\""), h2.body());

    // The upstream hears that the client spoke HTTPS.
    assertTrue(upstream.seen.stream().allMatch(s -> "https".equals(s.header("x-forwarded-proto"))),
        "x-forwarded-proto");
    assertEquals(2, upstream.hits.get());
  }

  @Test
  void plaintextClientCannotTalkToTheHttpsListener() throws Exception {
    Gateway g = gateway(serverTls(TlsSettings.ClientAuth.NONE, serverPair.cert(), serverPair.key()));
    HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    assertThrows(IOException.class, () -> get(plain, "http://127.0.0.1:" + g.port() + "/orders/"));
    assertEquals(0, upstream.hits.get());
  }

  @Test
  void connectionOverTheLimitGetsA503OverTls() throws Exception {
    ControlPlaneFixture cp = closing(ControlPlaneFixture.start());
    Gateway g = closing(Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
            .maxConnections(1).build())
        .controlPlane(cp.address()).tls(serverTls(TlsSettings.ClientAuth.NONE, serverPair.cert(), serverPair.key()))
        .start());
    cp.register("orders", "o1", upstream.port());
    awaitRoute(g, "orders");
    SSLContext trust = clientTls(false).sslContext();
    try (SSLSocket first = socket(trust, g.port())) {
      assertEquals(200, exchange(first));
      try (SSLSocket second = socket(trust, g.port())) {
        OutputStream out = second.getOutputStream();
        out.write("GET /orders/ HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String response = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(response.startsWith("HTTP/1.1 503"), response);
        assertTrue(response.contains("too_many_connections"), response);
      }
    }
    assertEquals(1, upstream.hits.get());
  }

  @Test
  void mutualTlsListenerRefusesClientWithoutCertificateAndServesOneWithIt() throws Exception {
    Gateway g = gateway(serverTls(TlsSettings.ClientAuth.REQUIRE, serverPair.cert(), serverPair.key()));
    String url = "https://localhost:" + g.port() + "/orders/";

    HttpClient anonymous = client(clientTls(false).sslContext(), HttpClient.Version.HTTP_1_1);
    assertThrows(IOException.class, () -> get(anonymous, url));
    assertEquals(0, upstream.hits.get(), "a refused client reaches no upstream");

    HttpResponse<String> ok = get(client(clientTls(true).sslContext(), HttpClient.Version.HTTP_2), url);
    assertEquals(200, ok.statusCode(), ok.body());
    assertEquals(1, upstream.hits.get());
  }

  @Test
  void grpcPassesThroughTheTlsGrpcListener() throws Exception {
    Server echo = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerServiceDefinition.builder("test.Echo")
            .addMethod(GrpcProxyTest.UNARY, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
              out.onNext("echo:" + req);
              out.onCompleted();
            })).build())
        .build().start();
    closing(() -> echo.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    ControlPlaneFixture cp = closing(ControlPlaneFixture.start());
    Gateway g = closing(Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(0).build())
        .controlPlane(cp.address())
        .tls(serverTls(TlsSettings.ClientAuth.REQUIRE, serverPair.cert(), serverPair.key())).start());
    assertTrue(g.grpcProxy().secure());
    cp.register("echo", "g1", echo.getPort(), "v1", 100, Protocol.PROTOCOL_GRPC);
    Await.until("grpc route", () -> g.routingState().table().grpc().containsKey("echo")
        && g.routingState().table().grpc().get("echo").hasInstances());

    // The authority names the service, and the certificate carries it as a DNS name.
    ManagedChannel withCert = NettyChannelBuilder.forTarget("127.0.0.1:" + g.grpcPort(),
        clientTls(true).channelCredentials()).overrideAuthority("echo").build();
    closing(withCert::shutdownNow);
    assertEquals("echo:ping", ClientCalls.blockingUnaryCall(withCert, GrpcProxyTest.UNARY,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "ping"));

    ManagedChannel withoutCert = NettyChannelBuilder.forTarget("127.0.0.1:" + g.grpcPort(),
        clientTls(false).channelCredentials()).overrideAuthority("echo").build();
    closing(withoutCert::shutdownNow);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        withoutCert, GrpcProxyTest.UNARY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "ping"));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
  }

  @Test
  void gatewayWatchesAMutualTlsControlPlaneAndRoutesWhatIsRegistered() throws Exception {
    TestCerts.Pair cpPair = ca.server("control-plane", "localhost", "127.0.0.1");
    ReloadingTls cpTls = closing(ReloadingTls.forServer(TlsSettings.server(cpPair.cert(), cpPair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert())));
    ControlPlaneFixture cp = closing(ControlPlaneFixture.startTls(cpTls.serverCredentials(),
        clientTls(true).channelCredentials()));
    Gateway g = closing(Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build())
        .controlPlane("localhost:" + cp.port())
        .controlPlaneCredentials(clientTls(true).channelCredentials())
        .tls(serverTls(TlsSettings.ClientAuth.NONE, serverPair.cert(), serverPair.key()))
        .start());
    cp.register("orders", "o1", upstream.port());
    awaitRoute(g, "orders");
    // The route comes with the Endpoints answer; the client is in sync once TrafficPolicy's has come too,
    // which the control plane sends as a response of its own, possibly after.
    Await.until("watch stream in sync", () -> g.watchClient().isSynced());
    HttpResponse<String> r = get(client(clientTls(false).sslContext(), HttpClient.Version.HTTP_2),
        "https://localhost:" + g.port() + "/orders/");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"instance\":\"u1\""), r.body());
  }

  @Test
  void rotatedCertificateReachesNewConnectionsWhileAnOpenKeepAliveConnectionKeepsWorking() throws Exception {
    Path cert = dir.resolve("live.crt");
    Path key = dir.resolve("live.key");
    Files.copy(serverPair.cert(), cert);
    Files.copy(serverPair.key(), key);
    Gateway g = gateway(serverTls(TlsSettings.ClientAuth.NONE, cert, key));
    ReloadingTls clientTls = clientTls(false);
    SSLContext trust = clientTls.sslContext();
    BigInteger before = serial(serverPair.cert());

    try (SSLSocket open = socket(trust, g.port())) {
      assertEquals(before, peerSerial(open));
      assertEquals(200, exchange(open));

      // Rotate: new files moved into place (as a secret mount would), a later modification time.
      TestCerts.Pair next = ca.server("gateway", "localhost", "127.0.0.1");
      BigInteger after = serial(next.cert());
      assertNotEquals(before, after);
      FileTime later = FileTime.from(Instant.now().plusSeconds(5));
      Path tmpKey = dir.resolve("next.key.tmp");
      Path tmpCert = dir.resolve("next.crt.tmp");
      Files.copy(next.key(), tmpKey);
      Files.copy(next.cert(), tmpCert);
      Files.setLastModifiedTime(tmpKey, later);
      Files.setLastModifiedTime(tmpCert, later);
      Files.move(tmpKey, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Files.move(tmpCert, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

      // A fresh client context each time: a cached session would be resumed with the old certificate.
      Await.until("new handshakes present the rotated certificate", () -> {
        try (SSLSocket fresh = socket(clientTls.sslContext(), g.port())) {
          return peerSerial(fresh).equals(after);
        } catch (IOException e) {
          return false;
        }
      });

      // The connection opened before the rotation was not dropped: it keeps its session and serves.
      assertEquals(200, exchange(open));
      assertEquals(before, peerSerial(open));
      try (SSLSocket fresh = socket(clientTls.sslContext(), g.port())) {
        assertEquals(after, peerSerial(fresh));
        assertEquals(200, exchange(fresh));
      }
    }
  }

  @Test
  void grpcListenerPresentsARotatedCertificateToNewConnectionsAndKeepsOpenOnes() throws Exception {
    Server echo = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerServiceDefinition.builder("test.Echo")
            .addMethod(GrpcProxyTest.UNARY, ServerCalls.asyncUnaryCall((String req, StreamObserver<String> out) -> {
              out.onNext("echo:" + req);
              out.onCompleted();
            })).build())
        .build().start();
    closing(() -> echo.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    Path cert = dir.resolve("grpc.crt");
    Path key = dir.resolve("grpc.key");
    Files.copy(serverPair.cert(), cert);
    Files.copy(serverPair.key(), key);
    ControlPlaneFixture cp = closing(ControlPlaneFixture.start());
    Gateway g = closing(Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(0).build())
        .controlPlane(cp.address()).tls(serverTls(TlsSettings.ClientAuth.NONE, cert, key)).start());
    cp.register("echo", "g1", echo.getPort(), "v1", 100, Protocol.PROTOCOL_GRPC);
    Await.until("grpc route", () -> g.routingState().table().grpc().containsKey("echo")
        && g.routingState().table().grpc().get("echo").hasInstances());
    ReloadingTls client = clientTls(false);
    ManagedChannel before = NettyChannelBuilder.forTarget("127.0.0.1:" + g.grpcPort(), client.channelCredentials())
        .overrideAuthority("echo").build();
    closing(before::shutdownNow);
    assertEquals(serial(serverPair.cert()), grpcPeerSerial(before));

    TestCerts.Pair next = ca.server("gateway", "localhost", "127.0.0.1", "echo");
    FileTime later = FileTime.from(Instant.now().plusSeconds(5));
    Path tmpKey = dir.resolve("grpc.key.tmp");
    Path tmpCert = dir.resolve("grpc.crt.tmp");
    Files.copy(next.key(), tmpKey);
    Files.copy(next.cert(), tmpCert);
    Files.setLastModifiedTime(tmpKey, later);
    Files.setLastModifiedTime(tmpCert, later);
    Files.move(tmpKey, key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Files.move(tmpCert, cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

    BigInteger after = serial(next.cert());
    ReloadingTls freshTls = clientTls(false);
    Await.until("a new gRPC connection sees the rotated certificate", () -> {
      // A new channel: its own TLS context, so no session of the old certificate to resume.
      ManagedChannel fresh = NettyChannelBuilder.forTarget("127.0.0.1:" + g.grpcPort(),
          freshTls.channelCredentials()).overrideAuthority("echo").build();
      try {
        return after.equals(grpcPeerSerial(fresh));
      } finally {
        fresh.shutdownNow();
      }
    });
    // The connection opened before the rotation still carries calls, on its old session.
    assertEquals(serial(serverPair.cert()), grpcPeerSerial(before));
  }

  /** Makes one call on {@code channel} and returns the serial number of the certificate its TLS peer presented. */
  private static BigInteger grpcPeerSerial(ManagedChannel channel) {
    AtomicReference<SSLSession> session = new AtomicReference<>();
    io.grpc.Channel recording = ClientInterceptors.intercept(channel, new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
          io.grpc.Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            ClientCall<Q, R> call = this;
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onHeaders(Metadata h) {
                session.set(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                super.onHeaders(h);
              }
            }, headers);
          }
        };
      }
    });
    assertEquals("echo:x", ClientCalls.blockingUnaryCall(recording, GrpcProxyTest.UNARY,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "x"));
    try {
      return ((X509Certificate) session.get().getPeerCertificates()[0]).getSerialNumber();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      throw new AssertionError(e);
    }
  }

  private static SSLSocket socket(SSLContext ssl, int port) throws IOException {
    SSLSocket s = (SSLSocket) ssl.getSocketFactory().createSocket("localhost", port);
    s.setSoTimeout(10_000);
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    p.setApplicationProtocols(new String[] {"http/1.1"});
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  private static BigInteger peerSerial(SSLSocket s) throws IOException {
    return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
  }

  private static BigInteger serial(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return ((X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(in)).getSerialNumber();
    }
  }

  /** Sends one keep-alive GET on {@code s} and reads its whole response; returns the status. */
  private static int exchange(SSLSocket s) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write("GET /orders/rotation HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    String status = line(in);
    int length = -1;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      String lower = h.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Integer.parseInt(lower.substring("content-length:".length()).strip());
      }
      assertTrue(!lower.startsWith("connection: close"), "the gateway closes the keep-alive connection: " + h);
    }
    assertTrue(length >= 0, "a content-length");
    in.readNBytes(length);
    return Integer.parseInt(status.split(" ")[1]);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }
}
