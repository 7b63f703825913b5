package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RestoreArgs;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis loses history a replica already applied (a failover to a replica that missed the last
 * writes, a restart from an older file), simulated on a real redis-server by putting back the keys
 * as they were before those writes: the replica notices without waiting for a later write, and does
 * not skip the writes that come after.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisHistoryTest {

  private static final String P = RedisStoreConfig.DEFAULT_PREFIX;

  @TempDir
  Path dir;

  private RedisServer redis;
  private RedisClient client;
  private StatefulRedisConnection<String, byte[]> connection;
  private final List<Replica> replicas = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    redis = new RedisServer(dir);
    client = RedisClient.create(redis.url());
    connection = client.connect(RedisLink.CODEC);
  }

  @AfterEach
  void tearDown() {
    replicas.forEach(Replica::close);
    connection.close();
    client.shutdown();
    redis.close();
  }

  @Test
  void aLostLastWriteWithNoWriteAfterItLeavesTheReplica() throws Exception {
    Replica a = replica();
    register(a, "a");
    Map<String, Saved> before = save();
    register(a, "b");
    Await.until("the replica holds b", Duration.ofSeconds(10), () -> ids(a).equals(List.of("a", "b")));

    restore(before); // Redis comes back without "b", and nothing is written after

    Await.until("the replica dropped the write Redis lost", Duration.ofSeconds(20),
        () -> ids(a).equals(List.of("a")));
    register(a, "c");
    Await.until("and follows the writes after it", Duration.ofSeconds(10), () -> ids(a).equals(List.of("a", "c")));
  }

  @Test
  void writesAfterLostHistoryAreReadEvenWhenTheirIdsAreBelowTheLastOneRead() throws Exception {
    Replica a = replica();
    register(a, "a");
    Map<String, Saved> before = save();
    // "b" as written by a master whose clock ran far ahead: its log id is above any the next master
    // will give (by its clock, or by revision).
    RedisCommands<String, byte[]> r = connection.sync();
    Instance b = instance("b");
    long rev = r.incr(P + ":rev");
    r.hset(P + ":svc:orders", "b", b.toByteArray());
    r.hset(P + ":versions", "orders", bytes(Long.toString(rev)));
    r.xadd(P + ":log", new XAddArgs().id("9999999999999-0"), Map.of("r", bytes(Long.toString(rev)),
        "s", bytes("orders"), "i", bytes("b"), "d", b.toByteArray(), "x", new byte[0]));
    Await.until("the replica read b", Duration.ofSeconds(10), () -> ids(a).equals(List.of("a", "b")));

    restore(before); // failover to a replica that never had "b"
    register(a, "c");
    register(a, "d");

    Await.until("the replica reads the new master's writes and drops b", Duration.ofSeconds(20),
        () -> ids(a).equals(List.of("a", "c", "d")));
    Replica fresh = replica();
    assertEquals(ids(fresh), ids(a), "the same state as a replica that just started");
  }

  private Replica replica() throws Exception {
    Replica r = new Replica(RedisStoreConfig.parse(redis.url()));
    replicas.add(r);
    return r;
  }

  private static Instance instance(String id) {
    return Instance.newBuilder().setService("orders").setInstanceId(id).setAddress("10.0.0.1").setPort(80)
        .setVersion("v1").setWeight(100).setHealth(HealthStatus.HEALTH_STATUS_SERVING).build();
  }

  private static void register(Replica r, String id) {
    RegistryServiceGrpc.newBlockingStub(r.channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .register(RegisterRequest.newBuilder().setInstance(instance(id)).setTtl(
            com.google.protobuf.Duration.newBuilder().setSeconds(60)).build());
  }

  private static List<String> ids(Replica r) {
    var service = r.controlPlane.registry().service("orders");
    return service == null ? List.of()
        : service.instances().stream().map(Instance::getInstanceId).sorted().toList();
  }

  /** A key's serialized value and remaining time to live (0: none). */
  private record Saved(byte[] value, long ttlMs) {}

  private Map<String, Saved> save() {
    RedisCommands<String, byte[]> r = connection.sync();
    Map<String, Saved> saved = new HashMap<>();
    for (String key : r.keys(P + "*")) {
      byte[] value = r.dump(key);
      if (value != null) {
        saved.put(key, new Saved(value, Math.max(0, r.pttl(key))));
      }
    }
    return saved;
  }

  /** Puts every key back as saved, in one transaction, and drops the others. */
  private void restore(Map<String, Saved> saved) {
    RedisCommands<String, byte[]> r = connection.sync();
    List<String> now = r.keys(P + "*");
    r.multi();
    for (String key : now) {
      r.del(key);
    }
    saved.forEach((key, s) -> r.restore(key, s.value(), RestoreArgs.Builder.ttl(s.ttlMs()).replace()));
    r.exec();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
