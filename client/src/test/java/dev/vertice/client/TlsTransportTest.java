package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.GetServiceRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestCerts;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client library over TLS against a real control plane listening with {@link ReloadingTls}
 * credentials on loopback, certificates made by openssl ({@link TestCerts}).
 */
class TlsTransportTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final Duration FAST_REFRESH = Duration.ofMillis(50);

  @RegisterExtension
  final TestResources resources = new TestResources();

  @TempDir
  Path dir;

  /** A TLS control plane: its server material comes from {@code cert}/{@code key}, reloaded quickly. */
  private record TlsPlane(ControlPlane controlPlane, ControlPlaneServer server, ReloadingTls tls) {
    String address() {
      return "127.0.0.1:" + server.port();
    }
  }

  private TlsPlane start(TlsSettings settings, ServerInterceptor... interceptors) throws Exception {
    ReloadingTls tls = resources.track(ReloadingTls.forServer(settings.withRefresh(FAST_REFRESH)));
    ControlPlane cp = resources.track(ControlPlane.builder().build());
    ControlPlaneServer server = resources.track(new ControlPlaneServer(cp, "127.0.0.1", 0,
        ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES, List.of(interceptors), tls.serverCredentials()));
    return new TlsPlane(cp, server, tls);
  }

  private ChannelCredentials trusting(TestCerts ca) throws Exception {
    return resources.track(ReloadingTls.forClient(TlsSettings.client(ca.caCert()))).channelCredentials();
  }

  private ChannelCredentials presenting(TestCerts ca, TestCerts.Pair identity) throws Exception {
    return resources.track(ReloadingTls.forClient(TlsSettings.client(ca.caCert())
        .withIdentity(identity.cert(), identity.key()))).channelCredentials();
  }

  private RegistryClient registry(String address, ChannelCredentials credentials) {
    return resources.track(RegistryClient.builder().controlPlane(address).channelCredentials(credentials)
        .callTimeout(Duration.ofSeconds(30)).build());
  }

  private static InstanceSpec echo(String id) {
    return InstanceSpec.builder("echo").instanceId(id).address("127.0.0.1").port(9000).build();
  }

  @Test
  void registryAndWatchClientsWorkOverTls() throws Exception {
    TestCerts ca = TestCerts.ca(dir, "ca");
    TestCerts.Pair pair = ca.server("control-plane", "localhost", "127.0.0.1");
    TlsPlane cp = start(TlsSettings.server(pair.cert(), pair.key()));
    WatchClient watch = resources.track(WatchClient.builder().controlPlane(cp.address())
        .channelCredentials(trusting(ca)).build());
    watch.subscribe("echo");

    registry(cp.address(), trusting(ca)).register(echo("e1"));

    Await.until("the registration is pushed over TLS", TIMEOUT,
        () -> watch.get("echo").map(s -> s.instances().size() == 1).orElse(false));
  }

  @Test
  void plaintextClientIsRefusedWhenTlsIsRequiredAndRegistersNothing() throws Exception {
    TestCerts ca = TestCerts.ca(dir, "ca");
    TestCerts.Pair pair = ca.server("control-plane", "127.0.0.1");
    TlsPlane cp = start(TlsSettings.server(pair.cert(), pair.key()));
    RegistryClient plaintext = resources.track(RegistryClient.builder().controlPlane(cp.address())
        .callTimeout(Duration.ofSeconds(30)).build());

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> plaintext.register(echo("e1")));

    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    assertNull(cp.controlPlane().registry().service("echo"), "nothing registered");
  }

  @Test
  void clientTrustingAnotherCaIsRefused() throws Exception {
    TestCerts ca = TestCerts.ca(dir.resolve("a"), "ca");
    TestCerts other = TestCerts.ca(dir.resolve("b"), "other");
    TestCerts.Pair pair = ca.server("control-plane", "127.0.0.1");
    TlsPlane cp = start(TlsSettings.server(pair.cert(), pair.key()));

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> registry(cp.address(), trusting(other)).register(echo("e1")));

    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    assertNull(cp.controlPlane().registry().service("echo"));
  }

  @Test
  void mutualTlsListenerRefusesClientWithoutCertificateAndAcceptsOneWithIt() throws Exception {
    TestCerts ca = TestCerts.ca(dir, "ca");
    TestCerts.Pair pair = ca.server("control-plane", "127.0.0.1");
    TlsPlane cp = start(TlsSettings.server(pair.cert(), pair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert()));

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> registry(cp.address(), trusting(ca)).register(echo("e1")));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    assertNull(cp.controlPlane().registry().service("echo"));

    TestCerts.Pair orders = ca.client("orders", "spiffe://vertice/service/echo");
    registry(cp.address(), presenting(ca, orders)).register(echo("e2"));
    assertEquals(1, cp.controlPlane().registry().service("echo").instances().size());
  }

  @Test
  void watchStreamOpenedBeforeCertificateRotationKeepsReceivingPushes() throws Exception {
    TestCerts ca = TestCerts.ca(dir.resolve("ca"), "ca");
    TestCerts.Pair first = ca.server("first", "127.0.0.1");
    TestCerts.Pair second = ca.server("second", "127.0.0.1");
    Path cert = dir.resolve("server.crt");
    Path key = dir.resolve("server.key");
    replace(first.cert(), cert);
    replace(first.key(), key);
    TlsPlane cp = start(TlsSettings.server(cert, key));
    ChannelCredentials credentials = trusting(ca);
    SessionRecorder watchCalls = new SessionRecorder();
    WatchClient watch = resources.track(WatchClient.builder().controlPlane(cp.address())
        .channelCredentials(credentials).interceptors(List.of(watchCalls)).build());
    watch.subscribe("echo");
    RegistryClient registry = registry(cp.address(), credentials);
    registry.register(echo("e1"));
    Await.until("the first registration is pushed", TIMEOUT,
        () -> watch.get("echo").map(s -> s.instances().size() == 1).orElse(false));
    assertEquals(List.of(serial(first.cert())), watchCalls.serials());

    replace(second.key(), key);
    replace(second.cert(), cert);
    BigInteger rotated = serial(second.cert());
    Await.until("a new connection is served the new certificate", TIMEOUT,
        () -> rotated.equals(servedSerial(cp.address(), credentials)));

    // A new registry client: the old one's connection would still hold the first session too.
    registry(cp.address(), credentials).register(echo("e2"));
    Await.until("the registration after the rotation is pushed on the old stream", TIMEOUT,
        () -> watch.get("echo").map(s -> s.instances().size() == 2).orElse(false));
    assertEquals(List.of(serial(first.cert())), watchCalls.serials(),
        "one Watch call, on the connection made before the rotation: the stream was not dropped");
    assertTrue(cp.tls().reloads() >= 1);
  }

  @Test
  void canaryClientTakesChannelAndCallCredentials() throws Exception {
    TestCerts ca = TestCerts.ca(dir, "ca");
    TestCerts.Pair pair = ca.server("control-plane", "127.0.0.1");
    List<String> authorizations = new CopyOnWriteArrayList<>();
    ServerInterceptor recordAuthorization = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        String a = headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
        authorizations.add(a == null ? "none" : a);
        return next.startCall(call, headers);
      }
    };
    TlsPlane cp = start(TlsSettings.server(pair.cert(), pair.key()), recordAuthorization);
    CallCredentials token = new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer t0ken");
        applier.apply(m);
      }
    };

    try (CanaryClient canary = CanaryClient.connect(cp.address(), trusting(ca), token)) {
      assertEquals(List.of(), canary.list(null, false));
    }
    try (CanaryClient plaintext = CanaryClient.connect(cp.address())) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> plaintext.list(null, false));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    }
    assertEquals(List.of("Bearer t0ken"), authorizations);
  }

  /** Replaces {@code target} by a copy of {@code source} in one rename. */
  private static void replace(Path source, Path target) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), ".next-", ".pem");
    Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static BigInteger serial(Path certFile) throws Exception {
    try (var in = Files.newInputStream(certFile)) {
      return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in)).getSerialNumber();
    }
  }

  /** The serial of the certificate the server presents to a new connection, or null when the call failed. */
  private static BigInteger servedSerial(String address, ChannelCredentials credentials) {
    SessionRecorder recorder = new SessionRecorder();
    ManagedChannel channel = NettyChannelBuilder.forTarget(address, credentials).intercept(recorder).build();
    try {
      RegistryServiceGrpc.newBlockingStub(channel)
          .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(5, TimeUnit.SECONDS)
          .getService(GetServiceRequest.newBuilder().setService("echo").build());
    } catch (StatusRuntimeException e) {
      // NOT_FOUND still went over a session; anything else shows as no serial.
    } finally {
      channel.shutdownNow();
    }
    List<BigInteger> serials = recorder.serials();
    return serials.isEmpty() ? null : serials.get(0);
  }

  /** Records, for every call that got response headers, the serial of the server certificate of its TLS session. */
  private static final class SessionRecorder implements ClientInterceptor {
    private final List<BigInteger> serials = new CopyOnWriteArrayList<>();

    List<BigInteger> serials() {
      return List.copyOf(serials);
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
        CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
          ClientCall<ReqT, RespT> call = this;
          super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onHeaders(Metadata h) {
              SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
              try {
                serials.add(((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber());
              } catch (javax.net.ssl.SSLPeerUnverifiedException | NullPointerException e) {
                serials.add(BigInteger.ZERO);
              }
              super.onHeaders(h);
            }
          }, headers);
        }
      };
    }
  }
}
