package dev.vertice.controlplane.store.redis;

import dev.vertice.common.Ticker;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.RegistryStoreContract;
import dev.vertice.testkit.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The registry store contract on a real redis-server: leases timed by Redis's clock, in real time. */
class RedisRegistryStoreTest extends RegistryStoreContract {

  @TempDir
  Path dir;

  private RedisServer redis;
  private ScheduledExecutorService scheduler;
  private int stores;

  @BeforeEach
  void setUp() throws Exception {
    redis = new RedisServer(dir);
    scheduler = Executors.newSingleThreadScheduledExecutor();
  }

  @AfterEach
  void tearDown() throws Exception {
    closeStores();
    scheduler.shutdownNow();
    redis.close();
  }

  @Override
  protected RegistryStore open(RegistryConfig config, RegistryView view, RegistryEvents events) throws Exception {
    // Each store its own key prefix: an empty state, as the contract wants.
    RedisStoreConfig redisConfig = RedisStoreConfig.from(RedisStoreConfig.parse(redis.url()))
        .prefix("{contract-" + ++stores + "}").build();
    RedisRegistryStore store = new RedisRegistryStore(redisConfig, config, view, Ticker.system(), scheduler,
        ControlPlane.secureIds(), events);
    store.start();
    return store;
  }

  @Override
  protected void pass(Duration d) throws Exception {
    Thread.sleep(d.toMillis());
  }

  @Override
  protected boolean realTime() {
    return true;
  }
}
