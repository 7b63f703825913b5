package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.security.auth.AuthInterceptor;
import dev.vertice.security.auth.AuthPolicy;
import dev.vertice.security.auth.BearerTokenCredentials;
import dev.vertice.security.auth.DenialLog;
import dev.vertice.security.auth.IdentityMapper;
import dev.vertice.security.auth.JwtVerifier;
import dev.vertice.security.auth.PolicyAuthorizer;
import dev.vertice.security.auth.RateLimits;
import dev.vertice.testkit.TestDeadlines;
import dev.vertice.testkit.TestJwts;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Findings of the adversarial review of issue 9, on a real control plane: bearer tokens never cross
 * plaintext, a workload cannot point its instances at loopback or metadata addresses, a KeepAlive
 * ping of a made-up lease costs a bounded number of store calls.
 */
class SecurityReviewFindingsTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final byte[] SECRET = "security-review-test-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private ControlPlaneServer server;
  private ManagedChannel channel;
  private Server inProcess;
  private ControlPlane inProcessControlPlane;
  private dev.vertice.controlplane.store.memory.InMemoryRegistryStore bareRegistry;
  private final List<ManagedChannel> channels = new java.util.ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (inProcess != null) {
      inProcess.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (inProcessControlPlane != null) {
      inProcessControlPlane.close();
    }
    if (bareRegistry != null) {
      bareRegistry.close();
    }
    if (server != null) {
      server.stop(Duration.ofSeconds(1));
    }
  }

  /**
   * SECURITY.md says "Tokens are only sent over TLS: gRPC refuses to attach call credentials to a
   * plaintext channel". grpc-java leaves that check to the CallCredentials, and
   * BearerTokenCredentials.applyRequestMetadata does not look at {@code info.getSecurityLevel()}: a
   * client configured with a token but no CA (or a control plane run with --auth on over plaintext,
   * which only warns) sends the bearer token in the clear, and it is accepted. Secure behaviour: the
   * credentials refuse (UNAUTHENTICATED) below PRIVACY_AND_INTEGRITY, so the call never leaves.
   */
  @Test
  void aBearerTokenIsNeverSentOverPlaintext() throws Exception {
    AuthPolicy policy = AuthPolicy.empty();
    DenialLog denials = new DenialLog(Ticker.system(), 10_000);
    ControlPlane cp = ControlPlane.builder()
        .authorizer(new PolicyAuthorizer(policy, RateLimits.ofDefaults(), denials)).build();
    JwtVerifier jwt = JwtVerifier.builder().hs256Secret(SECRET).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    AuthInterceptor auth = new AuthInterceptor(new IdentityMapper("vertice", policy), jwt, denials);
    server = new ControlPlaneServer(cp, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES, List.of(auth),
        InsecureServerCredentials.create());
    String token = TestJwts.hs256(SECRET, TestJwts.claims("orders", NOW.plusSeconds(300).getEpochSecond(), null));
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
        CompositeChannelCredentials.create(InsecureChannelCredentials.create(), BearerTokenCredentials.of(token)))
        .build();
    RegisterRequest request = RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
        .setInstanceId("o-1").setAddress("10.0.0.1").setPort(8080)).build();
    assertThrows(StatusRuntimeException.class,
        () -> RegistryServiceGrpc.newBlockingStub(channel)
            .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(10, TimeUnit.SECONDS).register(request),
        "the Register call carrying a bearer token over plaintext was sent and accepted");
  }

  /**
   * Register accepts any address for an instance: loopback, link-local (the cloud metadata service
   * 169.254.169.254) and names such as localhost. A compromised workload identity — exactly what
   * per-service authorization is meant to contain — registers an instance of its own service at
   * such an address, and every gateway routing that service now forwards client requests (paths,
   * headers) to the gateway host's own loopback ports (admin, sidecar API) or to the metadata
   * service: server-side request forgery through the gateway. Secure behaviour: refuse (or let the
   * operator deny) such addresses with INVALID_ARGUMENT when auth is on.
   */
  @Test
  void aServiceIdentityCannotPointItsInstancesAtLoopbackOrMetadataAddresses() throws Exception {
    String name = startInProcess(RegistryConfig.ofDefaults());
    RegistryServiceGrpc.RegistryServiceBlockingStub orders = stub(name, "orders");
    List<String> accepted = new java.util.ArrayList<>();
    for (String address : List.of("127.0.0.1", "169.254.169.254", "::1", "localhost", "0.0.0.0")) {
      try {
        orders.register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
            .setInstanceId("o-" + accepted.size() + "-" + address.length()).setAddress(address).setPort(80)).build());
        accepted.add(address);
      } catch (StatusRuntimeException refused) {
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode(), refused.getMessage());
      }
    }
    assertEquals(List.of(), accepted, "instances registered at these addresses");
  }

  @Test
  void hostLocalAddressesAreRecognisedWithoutLookups() {
    for (String local : List.of("127.0.0.1", "127.1.2.3", "::1", "[::1]", "0.0.0.0", "::", "169.254.169.254",
        "fe80::1", "localhost", "LOCALHOST", "api.localhost")) {
      org.junit.jupiter.api.Assertions.assertTrue(Validation.isHostLocal(local), local);
    }
    for (String remote : List.of("10.0.0.1", "192.168.1.5", "2001:db8::1", "orders.svc.cluster.local",
        "localhost-proxy.example", "8.8.8.8")) {
      org.junit.jupiter.api.Assertions.assertFalse(Validation.isHostLocal(remote), remote);
    }
  }

  /**
   * One service identity cannot fill the registry: --max-instances-per-service stops it below the
   * global limit, and another service still registers.
   */
  @Test
  void oneServiceIdentityCannotExhaustTheRegistryForOthers() throws Exception {
    String name = startInProcess(RegistryConfig.custom().maxInstances(20).maxInstancesPerService(10).build());
    RegistryServiceGrpc.RegistryServiceBlockingStub orders = stub(name, "orders");
    for (int i = 0; i < 10; i++) {
      orders.register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
          .setInstanceId("o-" + i).setAddress("10.0.0.1").setPort(8080 + i)).build());
    }
    StatusRuntimeException full = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
        () -> orders.register(RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders")
            .setInstanceId("o-10").setAddress("10.0.0.1").setPort(9000)).build()));
    assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, full.getStatus().getCode());
    org.junit.jupiter.api.Assertions.assertTrue(full.getMessage().contains("--max-instances-per-service"),
        full.getMessage());
    RegisterRequest payments = RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("payments")
        .setInstanceId("p-1").setAddress("10.0.0.2").setPort(8080)).build();
    assertEquals("payments", stub(name, "payments").register(payments).getService());
  }

  /** Starts the control plane in process behind the real AuthInterceptor (HS256 tokens); returns the server name. */
  private String startInProcess(RegistryConfig config) throws Exception {
    AuthPolicy policy = AuthPolicy.empty();
    DenialLog denials = new DenialLog(Ticker.system(), 10_000);
    inProcessControlPlane = ControlPlane.builder().registryConfig(config)
        .authorizer(new PolicyAuthorizer(policy, RateLimits.ofDefaults(), denials)).build();
    JwtVerifier jwt = JwtVerifier.builder().hs256Secret(SECRET).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    AuthInterceptor auth = new AuthInterceptor(new IdentityMapper("vertice", policy), jwt, denials);
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name);
    for (io.grpc.BindableService s : inProcessControlPlane.services()) {
      b.addService(io.grpc.ServerInterceptors.intercept(s, auth));
    }
    inProcess = b.build().start();
    return name;
  }

  private RegistryServiceGrpc.RegistryServiceBlockingStub stub(String serverName, String service) {
    String token = TestJwts.hs256(SECRET, TestJwts.claims(service, NOW.plusSeconds(300).getEpochSecond(), null));
    ManagedChannel c = InProcessChannelBuilder.forName(serverName).build();
    channels.add(c);
    return RegistryServiceGrpc.newBlockingStub(c)
        .withInterceptors(TestDeadlines.grpc()).withCallCredentials(BearerTokenCredentials.of(token))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /**
   * KeepAlive is not rate limited, and a stream already carrying MAX_LEASES_PER_STREAM (1024) live
   * leases answers each ping for a lease it does not carry by re-checking every carried lease
   * ({@code leases.removeIf(id -> !store.hasLease(id))}, RegistryGrpcService.KeepAliveCall.onNext):
   * with the Redis store that is 1024 Redis round trips per ping of a made-up lease id, on the
   * stream's gRPC thread. One workload with 1024 instances, on as many streams as it likes (the same
   * leases may ride on every stream), turns each cheap message into ~1000 store calls. Secure
   * behaviour: a ping costs a bounded number of store calls. Real in-memory registry, counted.
   */
  @Test
  void aKeepAlivePingCostsABoundedNumberOfStoreCalls() throws Exception {
    dev.vertice.testkit.FakeClock clock = new dev.vertice.testkit.FakeClock();
    java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger();
    dev.vertice.controlplane.registry.RegistryView view = new dev.vertice.controlplane.registry.RegistryView();
    dev.vertice.controlplane.store.memory.InMemoryRegistryStore registry =
        new dev.vertice.controlplane.store.memory.InMemoryRegistryStore(RegistryConfig.ofDefaults(), view, clock,
            clock.scheduler(), () -> String.format("%032d", ids.incrementAndGet()),
        dev.vertice.controlplane.registry.RegistryEvents.NONE);
    bareRegistry = registry;
    java.util.concurrent.atomic.AtomicInteger hasLease = new java.util.concurrent.atomic.AtomicInteger();
    dev.vertice.controlplane.store.RegistryStore counting = new CountingStore(registry, hasLease);
    String name = InProcessServerBuilder.generateName();
    inProcess = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new RegistryGrpcService(counting, view, new dev.vertice.controlplane.push.Versions("e1"))).build().start();
    List<String> leases = new java.util.ArrayList<>();
    for (int i = 0; i < RegistryGrpcService.MAX_LEASES_PER_STREAM; i++) {
      leases.add(registry.register(Instance.newBuilder().setService("orders").setInstanceId("o-" + i)
          .setAddress("10.0.0.1").setPort(8080).setProtocol(dev.vertice.api.registry.v1.Protocol.PROTOCOL_HTTP)
          .build(), Duration.ofSeconds(30), Duration.ofSeconds(10)).leaseId());
    }
    ManagedChannel c = InProcessChannelBuilder.forName(name).directExecutor().build();
    channels.add(c);
    java.util.concurrent.BlockingQueue<Object> answers = new java.util.concurrent.LinkedBlockingQueue<>();
    io.grpc.stub.StreamObserver<dev.vertice.api.registry.v1.KeepAliveRequest> pings = RegistryServiceGrpc.newStub(c)
        .keepAlive(new io.grpc.stub.StreamObserver<>() {
          @Override
          public void onNext(dev.vertice.api.registry.v1.KeepAliveResponse value) {
            answers.add(value);
          }

          @Override
          public void onError(Throwable t) {
            answers.add(t);
          }

          @Override
          public void onCompleted() {}
        });
    for (String lease : leases) {
      pings.onNext(dev.vertice.api.registry.v1.KeepAliveRequest.newBuilder().setLeaseId(lease).build());
      Object a = answers.poll(10, TimeUnit.SECONDS);
      assertEquals(dev.vertice.api.registry.v1.KeepAliveResponse.class, a == null ? null : a.getClass(), "" + a);
    }
    hasLease.set(0);
    int bogus = 10;
    for (int i = 0; i < bogus; i++) {
      pings.onNext(dev.vertice.api.registry.v1.KeepAliveRequest.newBuilder().setLeaseId("made-up-" + i).build());
      Object a = answers.poll(10, TimeUnit.SECONDS);
      assertEquals(dev.vertice.api.registry.v1.KeepAliveResponse.class, a == null ? null : a.getClass(), "" + a);
    }
    pings.onCompleted();
    int perPing = hasLease.get() / bogus;
    org.junit.jupiter.api.Assertions.assertTrue(perPing <= 4,
        "each ping of a made-up lease id cost " + perPing + " store hasLease calls");
  }

  /** Delegates to a real registry and counts hasLease calls. */
  private static final class CountingStore implements dev.vertice.controlplane.store.RegistryStore {
    private final dev.vertice.controlplane.store.memory.InMemoryRegistryStore d;
    private final java.util.concurrent.atomic.AtomicInteger hasLease;

    CountingStore(dev.vertice.controlplane.store.memory.InMemoryRegistryStore d,
        java.util.concurrent.atomic.AtomicInteger hasLease) {
      this.d = d;
      this.hasLease = hasLease;
    }

    @Override
    public RegistryConfig config() {
      return d.config();
    }

    @Override
    public dev.vertice.controlplane.store.Registration register(Instance instance, Duration ttl, Duration keepalive)
        throws dev.vertice.controlplane.store.CapacityExceededException {
      return d.register(instance, ttl, keepalive);
    }

    @Override
    public java.util.concurrent.CompletableFuture<java.util.List<dev.vertice.controlplane.store.Registration>>
        registerBatch(java.util.List<dev.vertice.controlplane.store.RegistrationRequest> entries) {
      return d.registerBatch(entries);
    }

    @Override
    public long deregister(String service, String instanceId) throws dev.vertice.controlplane.store.NotFoundException {
      return d.deregister(service, instanceId);
    }

    @Override
    public long setHealth(String service, String instanceId, dev.vertice.api.registry.v1.HealthStatus health)
        throws dev.vertice.controlplane.store.NotFoundException {
      return d.setHealth(service, instanceId, health);
    }

    @Override
    public java.util.OptionalLong keepAlive(String leaseId, String streamId) {
      return d.keepAlive(leaseId, streamId);
    }

    @Override
    public java.util.Optional<String> leaseService(String leaseId) {
      return d.leaseService(leaseId);
    }

    @Override
    public boolean hasLease(String leaseId) {
      hasLease.incrementAndGet();
      return d.hasLease(leaseId);
    }

    @Override
    public void keepAliveStreamEnded(String streamId, java.util.Collection<String> leaseIds) {
      d.keepAliveStreamEnded(streamId, leaseIds);
    }

    @Override
    public long putTrafficPolicy(dev.vertice.api.discovery.v1.TrafficPolicy policy)
        throws dev.vertice.controlplane.store.CapacityExceededException {
      return d.putTrafficPolicy(policy);
    }

    @Override
    public java.util.OptionalLong removeTrafficPolicy(String service) {
      return d.removeTrafficPolicy(service);
    }

    @Override
    public void close() {
      d.close();
    }
  }
}
