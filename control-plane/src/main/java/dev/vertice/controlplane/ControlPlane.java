package dev.vertice.controlplane;

import dev.vertice.common.Ticker;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.push.PushLimits;
import dev.vertice.controlplane.push.Versions;
import dev.vertice.controlplane.registry.Registry;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.Store;
import dev.vertice.controlplane.registry.StoreUnavailableException;
import dev.vertice.controlplane.registry.TrafficPolicies;
import dev.vertice.controlplane.store.redis.RedisStore;
import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import dev.vertice.controlplane.server.DiscoveryGrpcService;
import dev.vertice.controlplane.server.RegistryGrpcService;
import io.grpc.BindableService;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * {@code ControlPlane} wires the registry, the push engine and the gRPC services that expose them.
 * It binds no port: {@link ControlPlaneServer} does, and tests bind {@link #services()} to an
 * in-process server.
 */
public final class ControlPlane implements AutoCloseable {

  private final Registry registry;
  private final Store store;
  private final PushEngine engine;
  private final TrafficPolicies trafficPolicies;
  private final RegistryGrpcService registryService;
  private final DiscoveryGrpcService discoveryService;
  private final ExecutorService pushExecutor;
  private final ScheduledExecutorService ownedScheduler;

  private ControlPlane(Builder b) {
    ScheduledExecutorService scheduler = b.scheduler;
    if (scheduler == null) {
      scheduler = Executors.newSingleThreadScheduledExecutor(daemon("vertice-leases"));
      ownedScheduler = scheduler;
    } else {
      ownedScheduler = null;
    }
    this.registry = new Registry(b.registryConfig, b.ticker, scheduler, b.ids, b.registryEvents);
    Versions versions;
    RedisStore redisStore = null;
    if (b.redis == null) {
      this.store = registry;
      // The in-memory store starts a new history at every start: a new epoch.
      versions = b.versions != null ? b.versions : Versions.randomEpoch();
    } else {
      try {
        redisStore = new RedisStore(b.redis, b.registryConfig, registry, b.ticker, scheduler, b.ids,
            b.registryEvents);
      } catch (StoreUnavailableException e) {
        closeEarly(registry, ownedScheduler);
        throw new IllegalStateException(e.getMessage(), e);
      }
      this.store = redisStore;
      // Replicas of one store share its history, and so its epoch.
      versions = new Versions(redisStore.epoch());
    }
    this.pushExecutor = Executors.newFixedThreadPool(b.pushThreads, daemon("vertice-push"));
    this.engine = new PushEngine(List.of(registry, registry.trafficPolicySource()), pushExecutor, b.ticker, b.pushLimits, b.convergenceListener,
        versions);
    registry.setChangeListener(engine::onChange);
    if (redisStore != null) {
      try {
        redisStore.start();
      } catch (StoreUnavailableException e) {
        redisStore.close();
        pushExecutor.shutdownNow();
        closeEarly(registry, ownedScheduler);
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
    this.trafficPolicies = new TrafficPolicies(store, engine);
    this.registryService = new RegistryGrpcService(store, versions);
    this.discoveryService = new DiscoveryGrpcService(engine);
  }

  /** Returns a builder with production defaults (system time, secure random ids). */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the gRPC services to bind: RegistryService and DiscoveryService. */
  public List<BindableService> services() {
    return List.of(registryService, discoveryService);
  }

  /** Returns the local view of the registry (reads and watches are served from it). */
  public Registry registry() {
    return registry;
  }

  /** Returns the store that takes writes: the registry itself, or Redis. */
  public Store store() {
    return store;
  }

  public PushEngine engine() {
    return engine;
  }

  /** Returns the API that writes the TrafficPolicy resources pushed to the data plane (the canary controller's). */
  public TrafficPolicies trafficPolicies() {
    return trafficPolicies;
  }

  /**
   * Ends every Watch and KeepAlive stream with UNAVAILABLE, so that clients reconnect (to another
   * replica if there is one). Leases keep their TTL: a server going away starts no grace period.
   */
  public void shutdownStreams() {
    registryService.shutdown();
    engine.close();
  }

  @Override
  public void close() {
    shutdownStreams();
    if (store != registry) {
      store.close();
    }
    registry.close();
    pushExecutor.shutdown();
    try {
      pushExecutor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
  }

  private static void closeEarly(Registry registry, ScheduledExecutorService ownedScheduler) {
    registry.close();
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
  }

  static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Returns 128 random bits as hex from a {@link SecureRandom}: unguessable lease ids. */
  public static Supplier<String> secureIds() {
    SecureRandom random = new SecureRandom();
    HexFormat hex = HexFormat.of();
    return () -> {
      byte[] b = new byte[16];
      random.nextBytes(b);
      return hex.formatHex(b);
    };
  }

  /** {@code Builder} configures a {@link ControlPlane}. */
  public static final class Builder {
    private RegistryConfig registryConfig = RegistryConfig.ofDefaults();
    private PushLimits pushLimits = PushLimits.DEFAULT;
    private Ticker ticker = Ticker.system();
    private ScheduledExecutorService scheduler;
    private Supplier<String> ids = secureIds();
    private RegistryEvents registryEvents = RegistryEvents.NONE;
    private ConvergenceListener convergenceListener = ConvergenceListener.NONE;
    private Versions versions;
    private int pushThreads = Runtime.getRuntime().availableProcessors();
    private RedisStoreConfig redis;

    private Builder() {}

    /**
     * Keeps the registry in Redis, shared with other replicas, instead of in memory. {@link #build()}
     * then fails with {@link IllegalStateException} when Redis cannot be reached.
     */
    public Builder redis(RedisStoreConfig v) {
      this.redis = v;
      return this;
    }

    /** Threads that build and hand responses to the transport; default one per core. */
    public Builder pushThreads(int v) {
      if (v <= 0) {
        throw new IllegalArgumentException("pushThreads must be positive: " + v);
      }
      this.pushThreads = v;
      return this;
    }

    /** How versions are rendered; by default a random epoch for each start. */
    public Builder versions(Versions v) {
      this.versions = v;
      return this;
    }

    public Builder registryConfig(RegistryConfig v) {
      this.registryConfig = v;
      return this;
    }

    public Builder pushLimits(PushLimits v) {
      this.pushLimits = v;
      return this;
    }

    /** Time source; tests pass a fake clock together with its {@link #scheduler}. */
    public Builder ticker(Ticker v) {
      this.ticker = v;
      return this;
    }

    /** Scheduler for lease expiry; by default a daemon thread owned by the control plane. */
    public Builder scheduler(ScheduledExecutorService v) {
      this.scheduler = v;
      return this;
    }

    public Builder ids(Supplier<String> v) {
      this.ids = v;
      return this;
    }

    public Builder registryEvents(RegistryEvents v) {
      this.registryEvents = v;
      return this;
    }

    public Builder convergenceListener(ConvergenceListener v) {
      this.convergenceListener = v;
      return this;
    }

    public ControlPlane build() {
      return new ControlPlane(this);
    }
  }
}
