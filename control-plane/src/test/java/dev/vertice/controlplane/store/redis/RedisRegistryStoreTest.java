package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.store.Registration;
import dev.vertice.controlplane.store.RegistrationRequest;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.RegistryStoreContract;
import dev.vertice.controlplane.store.StoreUnavailableException;
import dev.vertice.testkit.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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

  @Test
  void aRegistrationThatReachesRedisAfterItsDeadlineChangesNothing() throws Exception {
    Opened o = open();
    RedisRegistryStore store = (RedisRegistryStore) o.store();
    List<RegistrationRequest> one = List.of(
        new RegistrationRequest(instance("late-1"), Duration.ofSeconds(30),
            Duration.ofSeconds(10)));
    // Redis's clock read as 1970: the script's deadline has passed when it arrives, as for a write
    // retransmitted after a partition healed.
    store.fenceWrites(() -> 1L);
    ExecutionException late = assertThrows(
        ExecutionException.class,
        () -> store.registerBatch(one).get(10, TimeUnit.SECONDS));
    assertInstanceOf(StoreUnavailableException.class,
        late.getCause(), String.valueOf(late.getCause()));
    assertEquals(0, o.view().instanceCount(), "nothing applied");

    // On time, the same registration is a new one: the late call left no lease behind.
    store.fenceWrites(System::currentTimeMillis);
    Registration r = store.registerBatch(one)
        .get(10, TimeUnit.SECONDS).get(0);
    assertTrue(r.created(), "created by the call on time");
    assertEquals(1, o.view().instanceCount());
  }

  @Test
  void deregistrationsHealthAndPolicyWritesThatReachRedisAfterTheirDeadlineChangeNothing() throws Exception {
    Opened o = open();
    RedisRegistryStore store = (RedisRegistryStore) o.store();
    store.fenceWrites(System::currentTimeMillis);
    store.registerBatch(List.of(new RegistrationRequest(instance("kept"), Duration.ofSeconds(30),
        Duration.ofSeconds(10)))).get(10, TimeUnit.SECONDS);
    TrafficPolicy policy = TrafficPolicy.newBuilder().setService("orders")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(100)).build();

    // Redis's clock read as 1970: every write arrives after its deadline, as one retransmitted
    // after a partition healed would.
    store.fenceWrites(() -> 1L);
    assertThrows(StoreUnavailableException.class, () -> store.deregister("orders", "kept"));
    assertThrows(StoreUnavailableException.class,
        () -> store.setHealth("orders", "kept", HealthStatus.HEALTH_STATUS_NOT_SERVING));
    assertThrows(StoreUnavailableException.class, () -> store.putTrafficPolicy(policy));
    assertEquals(List.of(instance("kept")), o.view().service("orders").instances(), "instance and health unchanged");
    assertEquals(0, o.view().trafficPolicyCount(), "no policy written");

    // On time, the same writes apply.
    store.fenceWrites(System::currentTimeMillis);
    store.putTrafficPolicy(policy);
    assertThrows(StoreUnavailableException.class, () -> {
      store.fenceWrites(() -> 1L);
      store.removeTrafficPolicy("orders");
    });
    store.fenceWrites(System::currentTimeMillis);
    assertEquals(1, o.view().trafficPolicyCount(), "the late removal left the policy");
    store.setHealth("orders", "kept", HealthStatus.HEALTH_STATUS_NOT_SERVING);
    assertEquals(HealthStatus.HEALTH_STATUS_NOT_SERVING,
        o.view().service("orders").instances().get(0).getHealth());
    store.deregister("orders", "kept");
    assertEquals(0, o.view().instanceCount());
  }
}
