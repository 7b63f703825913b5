package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.TestCerts;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code vertice:///} channels whose resolver reaches a control plane that serves TLS only. */
class TlsNameResolverTest {

  @RegisterExtension
  final TestResources resources = new TestResources();

  @TempDir
  Path dir;

  private TestCerts ca;
  private TestCerts.Pair client;
  private String address;
  private Upstream upstream;

  @BeforeEach
  void tlsControlPlaneWithOneUpstream() throws Exception {
    ca = TestCerts.ca(dir, "ca");
    TestCerts.Pair pair = ca.server("control-plane", "127.0.0.1");
    client = ca.client("orders", "spiffe://vertice/service/orders");
    ReloadingTls tls = resources.track(ReloadingTls.forServer(TlsSettings.server(pair.cert(), pair.key())
        .withClientAuth(TlsSettings.ClientAuth.REQUIRE, ca.caCert())));
    ControlPlane cp = resources.track(ControlPlane.builder().build());
    ControlPlaneServer server = resources.track(new ControlPlaneServer(cp, "127.0.0.1", 0,
        ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES, List.of(), tls.serverCredentials()));
    address = "127.0.0.1:" + server.port();
    upstream = resources.track(new Upstream());
    RegistryClient registry = resources.track(RegistryClient.builder().controlPlane(address)
        .channelCredentials(mutualTls()).callTimeout(Duration.ofSeconds(30)).build());
    registry.register(InstanceSpec.builder("echo").instanceId("e1").address("127.0.0.1").port(upstream.port())
        .protocol(Protocol.PROTOCOL_GRPC).build());
  }

  private ChannelCredentials mutualTls() throws Exception {
    return resources.track(ReloadingTls.forClient(TlsSettings.client(ca.caCert())
        .withIdentity(client.cert(), client.key()))).channelCredentials();
  }

  private static HealthCheckResponse call(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel)
        .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(30, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
  }

  @Test
  void channelResolvesThroughATlsWatchClient() throws Exception {
    WatchClient watch = resources.track(WatchClient.builder().controlPlane(address).channelCredentials(mutualTls())
        .build());
    ManagedChannel channel = resources.channel(ManagedChannelBuilder.forTarget("vertice:///echo").usePlaintext()
        .setNameResolverArg(VerticeNameResolverProvider.WATCH_CLIENT, watch).build());

    assertEquals(HealthCheckResponse.ServingStatus.SERVING, call(channel).getStatus());
    assertEquals(1, upstream.calls.get());
  }

  @Test
  void defaultWatchClientUsesTheCredentialsNamedByTheEnvironment() throws Exception {
    ChannelCredentials fromEnvironment = VerticeNameResolverProvider.credentials(Map.of(
        VerticeNameResolverProvider.CA_ENV, ca.caCert().toString(),
        VerticeNameResolverProvider.CERT_ENV, client.cert().toString(),
        VerticeNameResolverProvider.KEY_ENV, client.key().toString())::get);
    assertInstanceOf(TlsChannelCredentials.class, fromEnvironment);
    WatchClient watch = resources.track(VerticeNameResolverProvider.newDefault(ControlPlaneAddresses.of(address),
        fromEnvironment));
    ManagedChannel channel = resources.channel(ManagedChannelBuilder.forTarget("vertice:///echo").usePlaintext()
        .setNameResolverArg(VerticeNameResolverProvider.WATCH_CLIENT, watch).build());

    assertEquals(HealthCheckResponse.ServingStatus.SERVING, call(channel).getStatus());
  }

  @Test
  void environmentWithoutCaIsPlaintextAndIncompleteSettingsNameTheVariable() {
    assertInstanceOf(InsecureChannelCredentials.class, VerticeNameResolverProvider.credentials(name -> null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VerticeNameResolverProvider
        .credentials(Map.of(VerticeNameResolverProvider.CA_ENV, ca.caCert().toString(),
            VerticeNameResolverProvider.CERT_ENV, client.cert().toString())::get));
    assertTrue(e.getMessage().startsWith("VERTICE_KEY"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VerticeNameResolverProvider.credentials(Map.of(
        VerticeNameResolverProvider.CERT_ENV, client.cert().toString(),
        VerticeNameResolverProvider.KEY_ENV, client.key().toString())::get));
    assertTrue(e.getMessage().startsWith("VERTICE_CA"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VerticeNameResolverProvider.credentials(Map.of(
        VerticeNameResolverProvider.CA_ENV, dir.resolve("missing.pem").toString())::get));
    assertTrue(e.getMessage().startsWith("VERTICE_CA"), e.getMessage());
  }
}
