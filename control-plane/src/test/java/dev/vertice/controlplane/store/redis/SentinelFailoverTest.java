package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.RegisterRequest;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisSentinel;
import dev.vertice.testkit.RedisServer;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the Redis master under Sentinel with concurrent writers: writes resume after
 * promotion, and every registration acknowledged before, during or after the kill is there.
 */
class SentinelFailoverTest {

  private static final int WRITERS = 4;

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
    // A TTL that outlasts the test: what is checked is the failover, not expiry.
    return RegisterRequest.newBuilder().setInstance(Instance.newBuilder().setService("orders").setInstanceId(id)
        .setAddress("10.0.0.1").setPort(80)).setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(300))
        .build();
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void killingTheMasterWithWritesInFlightLosesNoAcknowledgedRegistration() throws Exception {
    RedisServer master = track(new RedisServer(dir.resolve("master")));
    RedisServer replicaServer = track(new RedisServer(dir.resolve("replica"), master.port()));
    Await.until("the replica is in sync with the master", Duration.ofSeconds(20), replicaServer::inSync);
    List<String> sentinels = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sentinels.add("127.0.0.1:" + track(new RedisSentinel(dir.resolve("sentinel-" + i), master.port())).port());
    }
    RedisStoreConfig config = RedisStoreConfig.parse("redis-sentinel://" + String.join(",", sentinels) + "/"
        + RedisSentinel.MASTER);
    assertEquals(1, config.minReplicas(), "each write waits for a replica (WAIT) before it is acknowledged");
    Replica replica = track(new Replica(config));

    // Several clients register concurrently, before, during and after the kill; each registration
    // that got an answer is acknowledged, the ones that failed are not (they may or may not exist).
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger acknowledgedAfterKill = new AtomicInteger();
    AtomicBoolean killed = new AtomicBoolean();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < WRITERS; t++) {
      int writer = t;
      Thread w = new Thread(() -> {
        for (int n = 0; running.get(); n++) {
          String id = "w" + writer + "-" + n;
          try {
            RegistryServiceGrpc.newBlockingStub(replica.channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .register(registration(id));
            boolean after = killed.get();
            acknowledged.add(id);
            if (after) {
              acknowledgedAfterKill.incrementAndGet();
            }
          } catch (StatusRuntimeException e) {
            sleepQuietly(50); // refused while there is no master: try the next one
          }
        }
      }, "writer-" + t);
      writers.add(w);
      w.start();
    }
    try {
      Await.until("writes are flowing", Duration.ofSeconds(20), () -> acknowledged.size() >= 40);
      killed.set(true);
      master.kill(); // kill -9 with registrations in flight on every writer
      Await.until("writes are acknowledged again after Sentinel promoted the replica", Duration.ofSeconds(60),
          () -> acknowledgedAfterKill.get() >= 20);
    } finally {
      running.set(false);
      for (Thread w : writers) {
        w.join(10_000);
      }
    }

    // A replica started now reads everything from the new master.
    Replica fresh = track(new Replica(config));
    Set<String> present = fresh.controlPlane.registry().service("orders").instances().stream()
        .map(Instance::getInstanceId).collect(Collectors.toSet());
    Set<String> missing = new TreeSet<>(acknowledged);
    missing.removeAll(present);
    assertEquals(Set.of(), missing, "every acknowledged registration survived the failover (" + acknowledged.size()
        + " acknowledged, " + acknowledgedAfterKill.get() + " after the kill)");
    System.out.printf("Sentinel failover with %d writers: %d registrations acknowledged, %d after the kill, %d in"
        + " Redis afterwards%n", WRITERS, acknowledged.size(), acknowledgedAfterKill.get(), present.size());
    Await.until("the first replica holds them too", Duration.ofSeconds(10), () -> replica.controlPlane.registry()
        .service("orders").instances().stream().map(Instance::getInstanceId).collect(Collectors.toSet())
        .containsAll(acknowledged));
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
