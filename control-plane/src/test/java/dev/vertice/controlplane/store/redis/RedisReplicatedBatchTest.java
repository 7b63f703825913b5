package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.store.Registration;
import dev.vertice.controlplane.store.RegistrationRequest;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The asynchronous write path keeps the acknowledged-writes guarantee: with a replica to wait for
 * (as with Sentinel), every batch is on the replica by the time its future completes, also when
 * many batches share one WAIT (group commit).
 */
class RedisReplicatedBatchTest {

  @TempDir
  Path dir;

  private final List<AutoCloseable> open = new ArrayList<>();
  private ScheduledExecutorService scheduler;

  @AfterEach
  void tearDown() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  @Test
  void everyAcknowledgedBatchIsOnTheReplica() throws Exception {
    RedisServer master = new RedisServer(dir.resolve("master"));
    open.add(master);
    RedisServer replica = new RedisServer(dir.resolve("replica"), master.port());
    open.add(replica);
    Await.until("the replica is in sync", Duration.ofSeconds(20), replica::inSync);
    scheduler = Executors.newSingleThreadScheduledExecutor();
    RedisStoreConfig config = RedisStoreConfig.from(RedisStoreConfig.parse(master.url())).minReplicas(1).build();
    RedisRegistryStore store = new RedisRegistryStore(config, RegistryConfig.ofDefaults(), new RegistryView(),
        Ticker.system(), scheduler, ControlPlane.secureIds(), RegistryEvents.NONE);
    open.add(store);
    store.start();
    RedisClient client = RedisClient.create(RedisStoreConfig.parse(replica.url()).redisUri());
    open.add(client::shutdown);
    StatefulRedisConnection<String, String> connection = client.connect();
    open.add(connection);
    RedisCommands<String, String> onReplica = connection.sync();

    ConcurrentLinkedQueue<String> missing = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<?>> batches = new ArrayList<>();
    for (int b = 0; b < 20; b++) {
      List<RegistrationRequest> entries = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        entries.add(new RegistrationRequest(Instance.newBuilder().setService("svc-" + (i % 3))
            .setInstanceId("b" + b + "-" + i).setAddress("10.0.0.1").setPort(8080).build(),
            Duration.ofSeconds(30), Duration.ofSeconds(10)));
      }
      // Checked when the batch is acknowledged, before anything else can copy it to the replica later.
      batches.add(store.registerBatch(entries).thenAccept(done -> {
        for (Registration r : done) {
          if (!onReplica.hexists(config.prefix() + ":svc:" + r.instance().getService(), r.instance().getInstanceId())) {
            missing.add(r.instance().getInstanceId());
          }
        }
      }));
    }
    CompletableFuture.allOf(batches.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    assertTrue(missing.isEmpty(), "acknowledged but not on the replica: " + missing);
    assertEquals("500", onReplica.get(config.prefix() + ":count"));
  }
}
