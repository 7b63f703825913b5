package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisSentinel;
import dev.vertice.testkit.RedisServer;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 of the Redis master under Sentinel: writes resume after promotion, nothing acknowledged is lost. */
class SentinelFailoverTest {

  @TempDir
  Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    closeables.add(c);
    return c;
  }

  private static RegisterRequest registration(String id) {
    return RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders").setInstanceId(id)
        .setAddress("10.0.0.1").setPort(80)).build();
  }

  @Test
  void killingTheMasterLosesNoAcknowledgedRegistration() throws Exception {
    RedisServer master = track(new RedisServer(dir.resolve("master")));
    RedisServer replicaServer = track(new RedisServer(dir.resolve("replica"), master.port()));
    Await.until("the replica is in sync with the master", Duration.ofSeconds(20), replicaServer::inSync);
    List<String> sentinels = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sentinels.add("127.0.0.1:" + track(new RedisSentinel(dir.resolve("sentinel-" + i), master.port())).port());
    }
    RedisStoreConfig config = RedisStoreConfig.parse("redis-sentinel://" + String.join(",", sentinels) + "/"
        + RedisSentinel.MASTER);
    Replica replica = track(new Replica(config));
    var registry = RegistryServiceGrpc.newBlockingStub(replica.channel).withInterceptors(TestDeadlines.grpc());
    for (int i = 0; i < 50; i++) {
      registry.register(registration("before-" + i)); // each acknowledged only once a replica holds it
    }

    master.kill();
    Await.until("a write succeeds after Sentinel promoted the replica", Duration.ofSeconds(60), () -> {
      try {
        registry.register(registration("after"));
        return true;
      } catch (StatusRuntimeException e) {
        return false;
      }
    });

    // A replica started now reads everything from the new master.
    Replica fresh = track(new Replica(config));
    assertEquals(51, fresh.controlPlane.registry().service("orders").instances().size(),
        "all 50 acknowledged registrations survived the failover, plus the one after it");
    assertEquals(51, replica.controlPlane.registry().instanceCount());
  }
}
