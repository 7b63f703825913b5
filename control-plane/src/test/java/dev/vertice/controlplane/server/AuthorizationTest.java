package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vertice.api.canary.v1.CanaryServiceGrpc;
import dev.vertice.api.canary.v1.ListRolloutsRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.GetServiceRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.ListServicesRequest;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.ControlPlaneServer;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.security.auth.AuthInterceptor;
import dev.vertice.security.auth.AuthPolicy;
import dev.vertice.security.auth.BearerTokenCredentials;
import dev.vertice.security.auth.DenialLog;
import dev.vertice.security.auth.IdentityMapper;
import dev.vertice.security.auth.JwtVerifier;
import dev.vertice.security.auth.PeerFailureLimit;
import dev.vertice.security.auth.PolicyAuthorizer;
import dev.vertice.security.auth.RateLimits;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.TestCerts;
import dev.vertice.testkit.TestDeadlines;
import dev.vertice.testkit.TestJwts;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Auth on a real control plane over TLS on loopback: identities from client certificates (testkit
 * CA, SPIFFE URI SANs and CNs) and from JWTs signed here with real keys, checked against the policy.
 */
class AuthorizationTest {

  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final byte[] SECRET = "authorization-test-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final KeyPair ED = TestJwts.ed25519();
  private static final String POLICY = """
      role.edge-1 = gateway
      role.alice = admin
      watch.orders = payments
      """;

  @TempDir
  static Path dir;
  private static TestCerts ca;
  private static TestCerts.Pair serverCert;
  private static final Map<String, TestCerts.Pair> clientCerts = new HashMap<>();

  private ControlPlaneServer server;
  private ReloadingTls serverTls;
  private final List<ReloadingTls> clientTls = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void certificates() throws Exception {
    ca = TestCerts.ca(dir, "test-ca");
    serverCert = ca.server("control-plane", "localhost", "127.0.0.1");
  }

  private void start(RateLimits limits) throws Exception {
    start(limits, PeerFailureLimit.ofDefaults());
  }

  private void start(RateLimits limits, PeerFailureLimit failures) throws Exception {
    AuthPolicy policy = AuthPolicy.parse(new StringReader(POLICY));
    DenialLog denials = new DenialLog(Ticker.system(), 10_000);
    ControlPlane cp = ControlPlane.builder().authorizer(new PolicyAuthorizer(policy, limits, denials)).build();
    JwtVerifier jwt = JwtVerifier.builder().hs256Secret(SECRET).ed25519PublicKey(ED.getPublic()).audience("vertice")
        .clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    AuthInterceptor auth = new AuthInterceptor(new IdentityMapper("vertice", policy), jwt, denials, failures);
    serverTls = ReloadingTls.forServer(TlsSettings.server(serverCert.cert(), serverCert.key())
        .withClientAuth(TlsSettings.ClientAuth.OPTIONAL, ca.caCert()));
    server = new ControlPlaneServer(cp, "127.0.0.1", 0, ControlPlaneServer.DEFAULT_MAX_MESSAGE_BYTES, List.of(auth),
        serverTls.serverCredentials());
  }

  private void start() throws Exception {
    start(RateLimits.ofDefaults());
  }

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.stop(Duration.ofSeconds(1));
    }
    for (ReloadingTls t : clientTls) {
      t.close();
    }
    if (serverTls != null) {
      serverTls.close();
    }
  }

  // --- channels ---

  /** A channel presenting a client certificate with CN {@code cn} and, when not null, URI SAN {@code uri}. */
  private ManagedChannel mtls(String cn, String uri) {
    try {
      return mtlsChecked(cn, uri);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static TestCerts.Pair pair(String cn, String uri) throws Exception {
    synchronized (clientCerts) {
      TestCerts.Pair pair = clientCerts.get(cn + "|" + uri);
      if (pair == null) {
        pair = ca.client(cn, uri);
        clientCerts.put(cn + "|" + uri, pair);
      }
      return pair;
    }
  }

  private ManagedChannel mtlsChecked(String cn, String uri) throws Exception {
    TestCerts.Pair pair = pair(cn, uri);
    ReloadingTls tls = ReloadingTls.forClient(TlsSettings.client(ca.caCert()).withIdentity(pair.cert(), pair.key()));
    clientTls.add(tls);
    return channel(tls.channelCredentials());
  }

  private ManagedChannel service(String name) {
    return mtls(name + "-cert", "spiffe://vertice/service/" + name);
  }

  private ManagedChannel admin() {
    return mtls("ops", "spiffe://vertice/admin/ops");
  }

  /** A TLS channel without a client certificate, sending {@code token} as a bearer token (when not null). */
  private ManagedChannel token(String token) {
    ReloadingTls tls;
    try {
      tls = ReloadingTls.forClient(TlsSettings.client(ca.caCert()));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    clientTls.add(tls);
    ChannelCredentials creds = tls.channelCredentials();
    return channel(token == null ? creds : CompositeChannelCredentials.create(creds, BearerTokenCredentials.of(token)));
  }

  private ManagedChannel channel(ChannelCredentials creds) {
    ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), creds).build();
    channels.add(c);
    return c;
  }

  private static String hs256(String sub, Duration validFor) {
    return TestJwts.hs256(SECRET, TestJwts.claims(sub, NOW.plus(validFor).getEpochSecond(), "vertice"));
  }

  // --- requests ---

  private static RegisterRequest instance(String service, String id, String version) {
    return RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService(service).setInstanceId(id)
        .setAddress("10.0.0.1").setPort(8080).setVersion(version)).build();
  }

  private static RegisterResponse register(ManagedChannel c, String service, String id) {
    return RegistryServiceGrpc.newBlockingStub(c)
        .withInterceptors(TestDeadlines.grpc()).register(instance(service, id, "v1"));
  }

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  private int instances() {
    return server.controlPlane().registry().instanceCount();
  }

  // --- tests ---

  @Test
  void unauthenticatedCallsAreRejectedAndChangeNothing() throws Exception {
    start();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> register(token(null), "orders", "o-1"));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("client certificate"), e.getStatus().getDescription());
    // A certificate of another trust domain is no identity.
    assertEquals(Status.Code.UNAUTHENTICATED,
        code(() -> register(mtls("orders", "spiffe://elsewhere/service/orders"), "orders", "o-1")));
    assertEquals(0, instances(), "registry unchanged");
    // grpc.health.v1 stays open to everyone.
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(token(null))
        .withInterceptors(TestDeadlines.grpc())
        .check(HealthCheckRequest.getDefaultInstance()).getStatus());
  }

  @Test
  void aServiceIdentityWritesOnlyItsOwnService() throws Exception {
    start();
    ManagedChannel orders = service("orders");
    ManagedChannel payments = service("payments");
    RegisterResponse own = register(orders, "orders", "o-1");
    assertEquals("orders", own.getService());
    assertEquals(Status.Code.PERMISSION_DENIED, code(() -> register(orders, "payments", "p-evil")));
    RegisterResponse pay = register(payments, "payments", "p-1");
    assertEquals(2, instances());

    RegistryServiceGrpc.RegistryServiceBlockingStub asOrders = RegistryServiceGrpc.newBlockingStub(orders)
        .withInterceptors(TestDeadlines.grpc());
    assertEquals(Status.Code.PERMISSION_DENIED, code(() -> asOrders.deregister(DeregisterRequest.newBuilder()
        .setService("payments").setInstanceId("p-1").build())));
    assertEquals(Status.Code.PERMISSION_DENIED, code(() -> asOrders.setHealth(SetHealthRequest.newBuilder()
        .setService("payments").setInstanceId("p-1").setHealth(HealthStatus.HEALTH_STATUS_NOT_SERVING).build())));
    ServiceView view = server.controlPlane().registry().service("payments");
    assertEquals(1, view.instances().size());
    assertEquals(HealthStatus.HEALTH_STATUS_SERVING, view.instances().get(0).getHealth(), "health unchanged");

    // Keeping another service's lease alive is refused too.
    Status keepAlive = keepAlive(orders, pay.getLease().getLeaseId());
    assertEquals(Status.Code.PERMISSION_DENIED, keepAlive.getCode());
    assertEquals(Status.Code.OK, keepAlive(orders, own.getLease().getLeaseId()).getCode());

    // A gateway changes no instance; an admin may change any.
    assertEquals(Status.Code.PERMISSION_DENIED, code(() -> register(mtls("edge-1", null), "orders", "o-9")));
    RegistryServiceGrpc.newBlockingStub(admin())
        .withInterceptors(TestDeadlines.grpc()).deregister(DeregisterRequest.newBuilder().setService("payments")
        .setInstanceId("p-1").build());
    assertEquals(1, instances());
  }

  /** Sends one KeepAlive ping; returns OK when it was answered, else the status the stream ended with. */
  private static Status keepAlive(ManagedChannel c, String leaseId) throws Exception {
    CompletableFuture<Status> result = new CompletableFuture<>();
    StreamObserver<KeepAliveRequest> requests = RegistryServiceGrpc.newStub(c).keepAlive(new StreamObserver<>() {
      @Override
      public void onNext(KeepAliveResponse value) {
        result.complete(Status.OK);
      }

      @Override
      public void onError(Throwable t) {
        result.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        result.complete(Status.OK);
      }
    });
    requests.onNext(KeepAliveRequest.newBuilder().setLeaseId(leaseId).build());
    Status s = result.get(10, TimeUnit.SECONDS);
    requests.onCompleted();
    return s;
  }

  @Test
  void badTokensAreRejectedWithoutEchoingThem() throws Exception {
    start();
    String claims = TestJwts.claims("orders", NOW.plusSeconds(300).getEpochSecond(), "vertice");
    byte[] otherSecret = "another-secret-another-secret-another".getBytes(StandardCharsets.US_ASCII);
    Map<String, String> bad = new HashMap<>();
    bad.put("expired", hs256("orders", Duration.ofMinutes(-5)));
    bad.put("wrongly signed", TestJwts.hs256(otherSecret, claims));
    bad.put("alg none", TestJwts.unsigned(claims));
    bad.put("tampered", TestJwts.withPayload(hs256("payments", Duration.ofMinutes(5)), claims));
    bad.put("wrong audience", TestJwts.hs256(SECRET, TestJwts.claims("orders", NOW.plusSeconds(300).getEpochSecond(),
        "someone-else")));
    bad.put("other Ed25519 key", TestJwts.eddsa(TestJwts.ed25519().getPrivate(), claims));
    for (Map.Entry<String, String> b : bad.entrySet()) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> register(token(b.getValue()), "orders", "o-1"), b.getKey());
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), b.getKey());
      assertFalse(e.getStatus().getDescription().contains(b.getValue()), b.getKey() + ": token echoed");
    }
    assertEquals(0, instances());
    // The good ones: HS256 and EdDSA.
    assertEquals("orders", register(token(hs256("orders", Duration.ofMinutes(5))), "orders", "o-1").getService());
    assertEquals("orders", register(token(TestJwts.eddsa(ED.getPrivate(), claims)), "orders", "o-2").getService());
    assertEquals(2, instances());
  }

  @Test
  void certificateAndTokenMustAgree() throws Exception {
    start();
    TestCerts.Pair orders = pair("x", "spiffe://vertice/service/orders");
    ReloadingTls tls = ReloadingTls.forClient(TlsSettings.client(ca.caCert()).withIdentity(orders.cert(), orders.key()));
    clientTls.add(tls);
    ManagedChannel both = channel(CompositeChannelCredentials.create(tls.channelCredentials(),
        BearerTokenCredentials.of(hs256("payments", Duration.ofMinutes(5)))));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> register(both, "orders", "o-1"));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("must agree"), e.getStatus().getDescription());
    ManagedChannel agreeing = channel(CompositeChannelCredentials.create(tls.channelCredentials(),
        BearerTokenCredentials.of(hs256("orders", Duration.ofMinutes(5)))));
    assertEquals("orders", register(agreeing, "orders", "o-1").getService());
  }

  @Test
  void aWatcherNotGrantedAServiceGetsNothingAboutIt() throws Exception {
    start();
    ManagedChannel admin = admin();
    register(admin, "orders", "o-1");
    register(admin, "payments", "p-1");
    register(admin, "billing", "b-1");

    WatchStream w = WatchStream.open(service("orders"), "orders-sidecar");
    w.subscribe("*");
    Set<String> seen = new HashSet<>();
    List<WatchResponse> all = new ArrayList<>();
    while (!seen.containsAll(Set.of("orders", "payments"))) {
      WatchResponse r = w.nextAcked();
      all.add(r);
      r.getResourcesList().forEach(res -> seen.add(res.getName()));
    }
    // Changes of billing, then of orders: the watcher hears of orders only.
    register(admin, "billing", "b-2");
    register(admin, "orders", "o-2");
    boolean sawOrdersChange = false;
    while (!sawOrdersChange) {
      WatchResponse r = w.nextAcked();
      all.add(r);
      sawOrdersChange = r.getResourcesList().stream().anyMatch(res -> res.getName().equals("orders")
          && WatchStream.endpoints(res).getInstancesCount() == 2);
    }
    for (WatchResponse r : all) {
      assertFalse(WatchStream.names(r).stream().anyMatch(n -> n.contains("billing")), WatchStream.names(r).toString());
    }

    // Naming an ungranted service ends the stream with PERMISSION_DENIED.
    WatchStream named = WatchStream.open(service("orders"), "orders-2");
    named.subscribe("payments", "billing");
    Status s = named.closed.get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.PERMISSION_DENIED, s.getCode());
    assertTrue(s.getDescription().contains("billing"), s.getDescription());

    // Reads are filtered the same way.
    RegistryServiceGrpc.RegistryServiceBlockingStub reads = RegistryServiceGrpc.newBlockingStub(service("orders"))
        .withInterceptors(TestDeadlines.grpc());
    List<String> listed = reads.listServices(ListServicesRequest.getDefaultInstance()).getServicesList().stream()
        .map(dev.vertice.api.registry.v1.ServiceSummary::getService).sorted().toList();
    assertEquals(List.of("orders", "payments"), listed);
    assertEquals(Status.Code.PERMISSION_DENIED,
        code(() -> reads.getService(GetServiceRequest.newBuilder().setService("billing").build())));

    // A gateway watches every service.
    WatchStream gw = WatchStream.open(mtls("edge-1", null), "edge-1");
    gw.subscribe("*");
    Set<String> gwSeen = new HashSet<>();
    while (!gwSeen.contains("billing")) {
      gw.nextAcked().getResourcesList().forEach(res -> gwSeen.add(res.getName()));
    }
    assertTrue(gwSeen.containsAll(Set.of("orders", "payments", "billing")));
  }

  @Test
  void adsWatcherWithAServiceIdentitySeesOnlyGrantedClusters() throws Exception {
    start();
    ManagedChannel admin = admin();
    register(admin, "orders", "o-1");
    register(admin, "payments", "p-1");
    register(admin, "billing", "b-1");
    BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    CompletableFuture<Status> ended = new CompletableFuture<>();
    StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(service("orders"))
        .streamAggregatedResources(observer(responses, ended));
    String cds = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(cds)
        .setNode(Node.newBuilder().setId("orders-envoy")).build());
    Set<String> clusters = new HashSet<>();
    while (!clusters.contains("orders") || !clusters.contains("payments")) {
      DiscoveryResponse r = responses.poll(10, TimeUnit.SECONDS);
      assertNotNull(r, "no CDS response");
      clusters.clear();
      for (com.google.protobuf.Any any : r.getResourcesList()) {
        clusters.add(cluster(any).getName());
      }
      requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(cds).setResponseNonce(r.getNonce())
          .setVersionInfo(r.getVersionInfo()).build());
    }
    for (String c : clusters) {
      assertTrue(c.startsWith("orders") || c.startsWith("payments"), "cluster " + c + " leaked");
    }
    // Naming billing's cluster is refused.
    requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment")
        .addResourceNames("billing/v1").build());
    assertEquals(Status.Code.PERMISSION_DENIED, ended.get(10, TimeUnit.SECONDS).getCode());
  }

  private static Cluster cluster(com.google.protobuf.Any any) {
    try {
      return any.unpack(Cluster.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static StreamObserver<DiscoveryResponse> observer(BlockingQueue<DiscoveryResponse> responses,
      CompletableFuture<Status> ended) {
    return new StreamObserver<>() {
      @Override
      public void onNext(DiscoveryResponse value) {
        responses.add(value);
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        ended.complete(Status.OK);
      }
    };
  }

  @Test
  void canaryAndStatsNeedTheirRoles() throws Exception {
    start();
    ListRolloutsRequest list = ListRolloutsRequest.getDefaultInstance();
    assertEquals(Status.Code.PERMISSION_DENIED, code(() -> CanaryServiceGrpc.newBlockingStub(service("orders"))
        .withInterceptors(TestDeadlines.grpc())
        .listRollouts(list)));
    assertEquals(Status.Code.PERMISSION_DENIED, code(() -> CanaryServiceGrpc.newBlockingStub(mtls("edge-1", null))
        .withInterceptors(TestDeadlines.grpc())
        .listRollouts(list)));
    assertEquals(0, CanaryServiceGrpc.newBlockingStub(admin())
        .withInterceptors(TestDeadlines.grpc()).listRollouts(list).getRolloutsCount());
    // An admin by JWT subject named in the policy.
    assertEquals(0, CanaryServiceGrpc.newBlockingStub(token(hs256("alice", Duration.ofMinutes(5))))
        .withInterceptors(TestDeadlines.grpc())
        .listRollouts(list).getRolloutsCount());

    CompletableFuture<Status> ended = new CompletableFuture<>();
    StreamObserver<ReportStatsRequest> stats = StatsServiceGrpc.newStub(service("orders")).reportStats(
        new StreamObserver<ReportStatsResponse>() {
          @Override
          public void onNext(ReportStatsResponse value) {}

          @Override
          public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            ended.complete(Status.OK);
          }
        });
    stats.onCompleted();
    assertEquals(Status.Code.PERMISSION_DENIED, ended.get(10, TimeUnit.SECONDS).getCode());
  }

  @Test
  void rateLimitsAnswerResourceExhausted() throws Exception {
    RateLimits.Limit oncePerHour = new RateLimits.Limit(1, Duration.ofHours(1));
    start(new RateLimits(oncePerHour, oncePerHour, oncePerHour, 100));
    ManagedChannel orders = service("orders");
    register(orders, "orders", "o-1");
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> register(orders, "orders", "o-2"));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("rate limit"), e.getStatus().getDescription());
    assertEquals(1, instances(), "the refused registration changed nothing");
    // Another identity has its own budget.
    register(service("payments"), "payments", "p-1");

    RegistryServiceGrpc.RegistryServiceBlockingStub stub = RegistryServiceGrpc.newBlockingStub(orders)
        .withInterceptors(TestDeadlines.grpc());
    SetHealthRequest drain = SetHealthRequest.newBuilder().setService("orders").setInstanceId("o-1")
        .setHealth(HealthStatus.HEALTH_STATUS_DRAINING).build();
    stub.setHealth(drain);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(() -> stub.setHealth(drain)));

    WatchStream first = WatchStream.open(orders, "w-1");
    first.subscribe("orders");
    first.nextAcked();
    WatchStream second = WatchStream.open(orders, "w-2");
    second.subscribe("orders");
    Status s = second.closed.get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode());
    assertTrue(s.getDescription().contains("new Watch subscriptions"), s.getDescription());
  }

  @Test
  void anAddressThatKeepsFailingIsRefusedBeforeVerifying() throws Exception {
    start(RateLimits.ofDefaults(), new PeerFailureLimit(new RateLimits.Limit(2, Duration.ofHours(1)), 100));
    String forged = TestJwts.eddsa(TestJwts.ed25519().getPrivate(), TestJwts.claims("orders",
        NOW.plusSeconds(300).getEpochSecond(), "vertice"));
    assertEquals(Status.Code.UNAUTHENTICATED, code(() -> register(token(forged), "orders", "o-1")));
    assertEquals(Status.Code.UNAUTHENTICATED, code(() -> register(token(forged), "orders", "o-1")));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> register(token(hs256("orders", Duration.ofMinutes(5))), "orders", "o-1"));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("failed authentications"), e.getStatus().getDescription());
    assertEquals(0, instances());
  }

  @Test
  void denialsAreLoggedWithTheIdentityAndNeverTheToken() throws Exception {
    start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Logger logger = Logger.getLogger(DenialLog.class.getName());
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        lines.add(r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(capture);
    try {
      String token = hs256("orders", Duration.ofMinutes(5));
      assertEquals(Status.Code.PERMISSION_DENIED, code(() -> register(token(token), "payments", "p-1")));
      String expired = hs256("orders", Duration.ofMinutes(-10));
      assertEquals(Status.Code.UNAUTHENTICATED, code(() -> register(token(expired), "orders", "o-1")));
    } finally {
      logger.removeHandler(capture);
    }
    assertTrue(lines.stream().anyMatch(l -> l.contains("service orders (jwt:orders)") && l.contains("payments")),
        lines.toString());
    assertTrue(lines.stream().anyMatch(l -> l.contains("unauthenticated peer") && l.contains("expired")),
        lines.toString());
    for (String l : lines) {
      assertFalse(l.contains(SECRET_FRAGMENT) || l.contains("eyJ"), "a token leaked into the log: " + l);
    }
  }

  private static final String SECRET_FRAGMENT = "authorization-test-secret";
}
