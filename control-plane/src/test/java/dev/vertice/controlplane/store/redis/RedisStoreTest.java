package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import dev.vertice.api.discovery.v1.DiscoveryServiceGrpc;
import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.discovery.v1.WatchResponse;
import dev.vertice.api.registry.v1.DeregisterRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.KeepAliveRequest;
import dev.vertice.api.registry.v1.KeepAliveResponse;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegisterResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.SetHealthRequest;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisSentinel;
import dev.vertice.testkit.RedisServer;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Control-plane replicas sharing a real redis-server: one history, leases expired exactly once. */
class RedisStoreTest {

  @TempDir
  Path dir;

  private RedisServer redis;
  private final List<Replica> replicas = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    redis = new RedisServer(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Replica r : replicas) {
      r.close();
    }
    redis.close();
  }

  private Replica replica() throws Exception {
    Replica r = new Replica(RedisStoreConfig.parse(redis.url()));
    replicas.add(r);
    return r;
  }

  @Test
  void oneServiceCannotTakeMoreThanItsShareOfTheSharedRegistry() throws Exception {
    dev.vertice.controlplane.ControlPlane cp = dev.vertice.controlplane.ControlPlane.builder()
        .registryConfig(dev.vertice.controlplane.registry.RegistryConfig.custom().maxInstancesPerService(2).build())
        .redis(RedisStoreConfig.parse(redis.url())).build();
    try {
      dev.vertice.controlplane.store.RegistryStore store = cp.store();
      java.time.Duration ttl = java.time.Duration.ofSeconds(30);
      java.time.Duration keepalive = java.time.Duration.ofSeconds(10);
      store.register(registration("orders", "a", 30_000).getInstance(), ttl, keepalive);
      store.register(registration("orders", "b", 30_000).getInstance(), ttl, keepalive);
      dev.vertice.controlplane.store.CapacityExceededException e = org.junit.jupiter.api.Assertions.assertThrows(
          dev.vertice.controlplane.store.CapacityExceededException.class,
          () -> store.register(registration("orders", "c", 30_000).getInstance(), ttl, keepalive));
      assertTrue(e.getMessage().contains("--max-instances-per-service"), e.getMessage());
      store.register(registration("orders", "a", 30_000).getInstance(), ttl, keepalive);
      store.register(registration("payments", "p", 30_000).getInstance(), ttl, keepalive);
      store.deregister("orders", "b");
      store.register(registration("orders", "c", 30_000).getInstance(), ttl, keepalive);
      // A write returns once this replica's view holds it (read-your-writes).
      assertEquals(java.util.Set.of("a", "c"), cp.registry().service("orders").instances().stream()
          .map(Instance::getInstanceId).collect(java.util.stream.Collectors.toSet()));
    } finally {
      cp.close();
    }
  }

  private static RegisterRequest registration(String service, String id, long ttlMillis) {
    return RegisterRequest.newBuilder()
        .setInstance(Instance.newBuilder().setService(service).setInstanceId(id).setAddress("10.0.0.1").setPort(80))
        .setTtl(Duration.newBuilder().setSeconds(ttlMillis / 1000).setNanos((int) (ttlMillis % 1000) * 1_000_000))
        .build();
  }

  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry(Replica r) {
    return RegistryServiceGrpc.newBlockingStub(r.channel).withInterceptors(TestDeadlines.grpc());
  }

  @Test
  void aRegistrationOnOneReplicaIsPushedByAnotherWithTheSameVersion() throws Exception {
    Replica a = replica();
    replica();
    Replica c = replica();
    BlockingQueue<WatchResponse> pushed = new LinkedBlockingQueue<>();
    var requests = DiscoveryServiceGrpc.newStub(c.channel).watch(collect(pushed));
    requests.onNext(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.ENDPOINTS).addSubscribe("orders").build());
    WatchResponse absent = pushed.poll(10, TimeUnit.SECONDS);
    assertNotNull(absent);
    assertEquals(List.of("orders"), absent.getRemovedResourcesList());

    RegisterResponse r = registry(a).register(registration("orders", "a-1", 60_000));
    WatchResponse added = pushed.poll(10, TimeUnit.SECONDS);
    assertNotNull(added, "replica C pushed the registration made on replica A");
    assertEquals(r.getResourceVersion(), added.getResources(0).getVersion(), "same version on every replica");
    for (Replica each : replicas) {
      Await.until("every replica holds the instance", () -> each.controlPlane.registry().service("orders") != null);
      Resource res = each.controlPlane.registry().endpointsSource().get("orders");
      assertEquals(r.getResourceVersion(), each.controlPlane.engine().versions().format(res.version()));
    }
    requests.onCompleted();
  }

  @Test
  void writesAreReadableOnTheReplicaThatMadeThemAtOnce() throws Exception {
    Replica a = replica();
    registry(a).register(registration("orders", "a-1", 60_000));
    assertEquals(1, a.controlPlane.registry().instanceCount(), "read-your-writes on one replica");
    registry(a).setHealth(SetHealthRequest.newBuilder().setService("orders").setInstanceId("a-1")
        .setHealth(HealthStatus.HEALTH_STATUS_DRAINING).build());
    assertEquals(HealthStatus.HEALTH_STATUS_DRAINING,
        a.controlPlane.registry().service("orders").instances().get(0).getHealth());
    registry(a).deregister(DeregisterRequest.newBuilder().setService("orders").setInstanceId("a-1").build());
    assertEquals(0, a.controlPlane.registry().instanceCount());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> registry(a).deregister(
        DeregisterRequest.newBuilder().setService("orders").setInstanceId("a-1").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
  }

  @Test
  void aLeaseExpiresExactlyOnceAcrossReplicas() throws Exception {
    Replica a = replica();
    replica();
    replica();
    registry(a).register(registration("orders", "short", 600));
    registry(a).register(registration("orders", "long", 60_000));
    for (Replica r : replicas) {
      Await.until("the expired instance is gone everywhere", () -> r.controlPlane.registry().instanceCount() == 1);
    }
    assertEquals(1, logEvents("short", "EXPIRED"), "one removal in the shared log, whatever three sweepers did");
  }

  @Test
  void aBrokenKeepAliveStreamIsForgivenWhenTheClientPingsAnotherReplicaWithinTheGrace() throws Exception {
    Replica a = replica();
    Replica b = replica();
    String lease = registry(a).register(registration("orders", "x", 3_000)).getLease().getLeaseId();
    var onA = RegistryServiceGrpc.newStub(a.channel).keepAlive(collect(new LinkedBlockingQueue<>()));
    onA.onNext(KeepAliveRequest.newBuilder().setLeaseId(lease).build());
    ((ClientCallStreamObserver<KeepAliveRequest>) onA).cancel("the client crashed", null);

    // The grace is 1 s; the client reconnects to B and keeps pinging for 3 s.
    BlockingQueue<KeepAliveResponse> answers = new LinkedBlockingQueue<>();
    var onB = RegistryServiceGrpc.newStub(b.channel).keepAlive(collect(answers));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (System.nanoTime() < end) {
      onB.onNext(KeepAliveRequest.newBuilder().setLeaseId(lease).build());
      KeepAliveResponse answer = answers.poll(5, TimeUnit.SECONDS);
      assertNotNull(answer);
      assertTrue(!answer.getExpired(), "the lease survived the broken stream");
      TimeUnit.MILLISECONDS.sleep(300); // the client's keepalive interval
    }
    assertEquals(1, b.controlPlane.registry().instanceCount());
    assertEquals(0, logEvents("x", "GRACE_EXPIRED"));
    onB.onCompleted();
  }

  @Test
  void aBrokenKeepAliveStreamRemovesTheInstanceAfterTheGrace() throws Exception {
    Replica a = replica();
    Replica b = replica();
    String lease = registry(a).register(registration("orders", "x", 60_000)).getLease().getLeaseId();
    var onA = RegistryServiceGrpc.newStub(a.channel).keepAlive(collect(new LinkedBlockingQueue<>()));
    onA.onNext(KeepAliveRequest.newBuilder().setLeaseId(lease).build());
    ((ClientCallStreamObserver<KeepAliveRequest>) onA).cancel("the client crashed", null);
    Await.until("removed after the 1 s grace, long before its 60 s TTL", java.time.Duration.ofSeconds(5),
        () -> b.controlPlane.registry().instanceCount() == 0);
    assertEquals(1, logEvents("x", "GRACE_EXPIRED"));
  }

  @Test
  void everyInstanceAndLeaseSurvivesARedisRestart() throws Exception {
    Replica a = replica();
    List<String> leases = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      leases.add(registry(a).register(registration("orders", "i" + i, 60_000)).getLease().getLeaseId());
    }
    redis.kill();
    redis.start();
    Replica fresh = replica(); // loads its state from the restarted Redis
    assertEquals(20, fresh.controlPlane.registry().instanceCount());
    BlockingQueue<KeepAliveResponse> answers = new LinkedBlockingQueue<>();
    var pings = RegistryServiceGrpc.newStub(fresh.channel).keepAlive(collect(answers));
    for (String lease : leases) {
      pings.onNext(KeepAliveRequest.newBuilder().setLeaseId(lease).build());
      KeepAliveResponse answer = answers.poll(5, TimeUnit.SECONDS);
      assertNotNull(answer);
      assertTrue(!answer.getExpired(), "lease " + lease + " survived");
    }
    pings.onCompleted();
    Await.until("the first replica reconnected and still holds everything",
        () -> registry(a).listServices(dev.vertice.api.registry.v1.ListServicesRequest.getDefaultInstance())
            .getServices(0).getInstanceCount() == 20);
  }

  @Test
  void duringARedisOutageWritesAreRefusedNothingExpiresAndStateReconcilesAfter() throws Exception {
    Replica a = replica();
    String lease = registry(a).register(registration("orders", "kept", 1_000)).getLease().getLeaseId();
    // The instance's client stays alive throughout: it pings every 300 ms, and its pings fail
    // while Redis is down.
    java.util.concurrent.atomic.AtomicBoolean pinging = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicInteger expiredAnswers = new java.util.concurrent.atomic.AtomicInteger();
    Thread client = new Thread(() -> {
      // Like RegistryClient: one KeepAlive stream, opened again after it failed.
      BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
      io.grpc.stub.StreamObserver<KeepAliveRequest> stream = null;
      while (pinging.get()) {
        if (stream == null) {
          answers.clear();
          stream = RegistryServiceGrpc.newStub(a.channel).keepAlive(failuresToo(answers));
        }
        try {
          stream.onNext(KeepAliveRequest.newBuilder().setLeaseId(lease).build());
          Object answer = answers.poll(300, TimeUnit.MILLISECONDS);
          if (answer instanceof KeepAliveResponse r && r.getExpired()) {
            expiredAnswers.incrementAndGet();
          } else if (answer instanceof Throwable) {
            stream = null; // Redis down: the server ended the stream; reconnect next interval
          }
          TimeUnit.MILLISECONDS.sleep(300); // the client's keepalive interval
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          stream = null;
        }
      }
      if (stream != null) {
        stream.onCompleted();
      }
    });
    client.start();
    try {
      redis.kill();
      StatusRuntimeException refused = Await.value("writes are refused while Redis is down",
          java.time.Duration.ofSeconds(10), () -> {
            try {
              registry(a).register(registration("orders", "new", 60_000));
              return null;
            } catch (StatusRuntimeException e) {
              return e;
            }
          });
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
      assertTrue(refused.getStatus().getDescription().contains("Redis"), refused.getStatus().getDescription());
      TimeUnit.MILLISECONDS.sleep(1_500); // the outage lasts longer than the 1 s TTL
      assertEquals(1, a.controlPlane.registry().instanceCount(), "reads go on from memory; nothing removed");
      Await.until("the replica says it no longer follows the store", java.time.Duration.ofSeconds(10),
          () -> !a.store().following());

      redis.start();
      Await.until("writes are accepted again", java.time.Duration.ofSeconds(15), () -> {
        try {
          registry(a).register(registration("orders", "new", 60_000));
          return true;
        } catch (StatusRuntimeException e) {
          return false;
        }
      });
      Await.until("pushes resume", () -> a.controlPlane.registry().instanceCount() == 2);
      Await.until("the replica follows the store again", () -> a.store().following());
      // Two more TTLs of live pings after the outage: the live client's instance never went.
      TimeUnit.MILLISECONDS.sleep(2_000);
      assertEquals(2, a.controlPlane.registry().instanceCount());
      assertEquals(0, logEvents("kept", "EXPIRED"), "a live client's lease did not expire for the outage");
      assertEquals(0, expiredAnswers.get());
    } finally {
      pinging.set(false);
      client.interrupt();
      client.join(5000);
    }
  }

  @Test
  void aReplicaWhoseNextChangeWasTrimmedFromTheLogReloadsASnapshot() throws Exception {
    Replica a = replica();
    registry(a).register(registration("orders", "a-1", 60_000));
    Replica b = replica();
    assertEquals(1, b.controlPlane.registry().instanceCount());
    // What a replica finds after being away while the log was trimmed: the next entry it can read
    // is ten revisions ahead of what it holds, and the state it missed is only in the data.
    Instance missed = Instance.newBuilder().setService("orders").setInstanceId("missed").setAddress("10.0.0.9")
        .setPort(80).setVersion("v1").setWeight(100).setHealth(HealthStatus.HEALTH_STATUS_SERVING).build();
    RedisClient client = RedisClient.create(redis.url());
    try (StatefulRedisConnection<String, byte[]> c = client.connect(io.lettuce.core.codec.RedisCodec.of(
        io.lettuce.core.codec.StringCodec.UTF8, io.lettuce.core.codec.ByteArrayCodec.INSTANCE))) {
      String p = RedisStoreConfig.DEFAULT_PREFIX;
      long rev = c.sync().incrby(p + ":rev", 10);
      c.sync().hset(p + ":svc:orders", "missed", missed.toByteArray());
      c.sync().hset(p + ":versions", "orders", Long.toString(rev).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      c.sync().xadd(p + ":log", java.util.Map.of("r", Long.toString(rev).getBytes(java.nio.charset.StandardCharsets.UTF_8),
          "s", "orders".getBytes(java.nio.charset.StandardCharsets.UTF_8),
          "i", "missed".getBytes(java.nio.charset.StandardCharsets.UTF_8), "d", missed.toByteArray(),
          "x", new byte[0]));
    } finally {
      client.shutdown();
    }
    for (Replica r : replicas) {
      Await.until("the replica reloaded the state it could not read from the log",
          () -> r.controlPlane.registry().instanceCount() == 2);
    }
    assertEquals(List.of("a-1", "missed"), b.controlPlane.registry().service("orders").instances().stream()
        .map(Instance::getInstanceId).toList());
  }

  @Test
  void anUnreadableLogEntryIsSkippedAndTheReplicaKeepsFollowing() throws Exception {
    Replica a = replica();
    RedisClient client = RedisClient.create(redis.url());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      c.sync().xadd(RedisStoreConfig.DEFAULT_PREFIX + ":log", java.util.Map.of("note", "written by someone else"));
    } finally {
      client.shutdown();
    }
    registry(a).register(registration("orders", "after-garbage", 60_000));
    Await.until("the reader is alive and applied the next change", () -> a.controlPlane.registry().instanceCount() == 1);
  }

  /** Counts the change-log events of {@code instanceId} with removal reason {@code reason}. */
  private long logEvents(String instanceId, String reason) {
    RedisClient client = RedisClient.create(redis.url());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      List<StreamMessage<String, String>> all = c.sync().xrange(RedisStoreConfig.DEFAULT_PREFIX + ":log",
          Range.create("-", "+"));
      return all.stream().filter(m -> instanceId.equals(m.getBody().get("i")) && reason.equals(m.getBody().get("x")))
          .count();
    } finally {
      client.shutdown();
    }
  }

  /** Collects answers, and the error that ends the stream, into one queue. */
  private static <Q> ClientResponseObserver<Q, KeepAliveResponse> failuresToo(BlockingQueue<Object> into) {
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<Q> requestStream) {}

      @Override
      public void onNext(KeepAliveResponse value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {
        into.add(t);
      }

      @Override
      public void onCompleted() {}
    };
  }

  private static <Q, T> ClientResponseObserver<Q, T> collect(BlockingQueue<T> into) {
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<Q> requestStream) {}

      @Override
      public void onNext(T value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
