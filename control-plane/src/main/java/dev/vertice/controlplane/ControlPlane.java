package dev.vertice.controlplane;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.common.Threads;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.autoscale.AutoscaleConfig;
import dev.vertice.controlplane.autoscale.LoadSignals;
import dev.vertice.controlplane.canary.CanaryController;
import dev.vertice.controlplane.canary.LeaseLeadership;
import dev.vertice.controlplane.canary.StatsStoreWindows;
import dev.vertice.controlplane.canary.PolicyAckReporter;
import dev.vertice.controlplane.canary.StorePolicyPublisher;
import dev.vertice.controlplane.push.ConvergenceListener;
import dev.vertice.controlplane.push.PushEngine;
import dev.vertice.controlplane.push.PushLimits;
import dev.vertice.controlplane.push.Versions;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.controlplane.registry.TrafficPolicies;
import dev.vertice.controlplane.server.CanaryGrpcService;
import dev.vertice.controlplane.server.DiscoveryGrpcService;
import dev.vertice.controlplane.server.ExternalScalerGrpcService;
import dev.vertice.controlplane.server.MalformedRequests;
import dev.vertice.controlplane.server.RegistryGrpcService;
import dev.vertice.controlplane.server.StatsGrpcService;
import dev.vertice.controlplane.store.Leases;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.RolloutStore;
import dev.vertice.controlplane.store.StatsLimits;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StoreBackend;
import dev.vertice.controlplane.store.StoreUnavailableException;
import dev.vertice.controlplane.store.memory.MemoryBackend;
import dev.vertice.controlplane.store.redis.RedisBackend;
import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import dev.vertice.controlplane.xds.AdsGrpcService;
import dev.vertice.controlplane.xds.XdsResources;
import dev.vertice.security.auth.Authorizer;
import io.grpc.BindableService;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code ControlPlane} wires the store, the registry view, the push engine and the gRPC services
 * that expose them. It binds no port: {@link ControlPlaneServer} does, and tests bind {@link
 * #services()} to an in-process server.
 *
 * <p>The data path is one line: the backend's {@link RegistryStore} decides each write and applies
 * it to the {@link RegistryView}, which reports it to the {@link PushEngine} and the xDS projection
 * ({@link XdsResources}, which reports the resources it derives to the engine), which push it to
 * the streams.
 */
public final class ControlPlane implements AutoCloseable {

  private final ScheduledExecutorService ownedScheduler;
  private final RegistryView registry;
  private final StoreBackend backend;
  private final ExecutorService pushExecutor;
  private final PushEngine engine;
  private final TrafficPolicies trafficPolicies;
  private final String replicaId;
  private final Clock wallClock;
  private final RegistryGrpcService registryService;
  private final DiscoveryGrpcService discoveryService;
  private final StatsGrpcService statsService;
  private final CanaryController canary;
  private final PolicyAckReporter policyAcks;
  private final StorePolicyPublisher policyPublisher;
  private final CanaryGrpcService canaryService;
  private final AdsGrpcService adsService;
  private final LoadSignals autoscale;
  private final ExternalScalerGrpcService scalerService;

  private ControlPlane(Builder b) {
    this.ownedScheduler = b.scheduler == null
        ? Executors.newSingleThreadScheduledExecutor(Threads.daemon("vertice-leases")) : null;
    ScheduledExecutorService scheduler = b.scheduler != null ? b.scheduler : ownedScheduler;
    this.registry = new RegistryView();
    this.backend = openBackend(b, registry, scheduler);
    this.pushExecutor = Executors.newFixedThreadPool(b.pushThreads, Threads.daemon("vertice-push"));
    // In memory, every start begins a new history (a new epoch); replicas of one Redis share its epoch.
    Versions versions = backend.sharedEpoch().map(Versions::new)
        .orElseGet(() -> b.versions != null ? b.versions : Versions.randomEpoch());
    // Every replica publishes its watchers' answers to policies, for the canary lease holder.
    this.policyAcks = new PolicyAckReporter(backend.policyAcks());
    this.engine = new PushEngine(pushExecutor, b.ticker, b.pushLimits,
        ConvergenceListener.both(b.convergenceListener, policyAcks), versions, b.inlineDrains);
    XdsResources xds = new XdsResources(registry, engine);
    registry.addListener(engine);
    registry.addListener(xds);
    engine.addSources(registry.sources());
    engine.addSources(xds.sources());
    // Anything that fails from here on releases what was opened (connections, threads), then throws.
    try {
      backend.start();
      this.trafficPolicies = new TrafficPolicies(backend.registry(), registry, engine);
      // With Redis, every replica reads Redis's clock: stats buckets and canary windows line up.
      this.wallClock = b.sharedClock ? backend.sharedClock(b.wallClock) : b.wallClock;
      String id = b.ids.get();
      this.replicaId = id.length() > 12 ? id.substring(0, 12) : id;
      this.registryService = new RegistryGrpcService(backend.registry(), registry, versions, b.authorizer);
      this.discoveryService = new DiscoveryGrpcService(engine, b.authorizer);
      // The xDS projection is built when the first ADS stream opens, not at every change before.
      this.adsService = new AdsGrpcService(engine, b.authorizer, xds::activate);
      this.autoscale = new LoadSignals(b.autoscale, b.ticker);
      this.statsService = new StatsGrpcService(backend.stats(), wallClock, b.statsLimits, registry,
          autoscale::onReport);
      this.scalerService = new ExternalScalerGrpcService(autoscale, registry, b.authorizer);
      policyAcks.start(replicaId, wallClock, scheduler);
      this.policyPublisher = new StorePolicyPublisher(trafficPolicies, backend.policyAcks(), scheduler, wallClock,
          b.policyFleetTimeout, replicaId);
      this.canary = CanaryController.builder()
          .rollouts(backend.rollouts())
          .policies(policyPublisher)
          .stats(new StatsStoreWindows(backend.stats()))
          .leadership(new LeaseLeadership(backend.leases(), replicaId, b.canaryLeaseTtl))
          .instances(this::servingInstances)
          .clock(wallClock)
          .scheduler(scheduler)
          .build();
      this.canaryService = new CanaryGrpcService(canary);
      canary.start();
      autoscale.start(scheduler);
    } catch (StoreUnavailableException e) {
      throw startFailed(e);
    } catch (RuntimeException | Error e) {
      releaseAfterFailedStart();
      throw e;
    }
  }

  /** Opens the backend of {@code b}: Redis when configured, else memory. */
  private StoreBackend openBackend(Builder b, RegistryView view, ScheduledExecutorService scheduler) {
    if (b.redis == null) {
      return new MemoryBackend(b.registryConfig, view, b.ticker, scheduler, b.ids, b.registryEvents, b.statsRetention,
          b.statsLimits.maxSeries(), b.rolloutStore);
    }
    try {
      return RedisBackend.connect(b.redis, b.registryConfig, view, b.ticker, scheduler, b.ids, b.registryEvents,
          b.statsRetention, b.statsLimits.maxSeries());
    } catch (StoreUnavailableException e) {
      throw startFailed(e);
    }
  }

  /** Releases what a failed start opened and describes the failure. */
  private IllegalStateException startFailed(StoreUnavailableException e) {
    releaseAfterFailedStart();
    return new IllegalStateException(e.getMessage(), e);
  }

  /** Releases what a failed start opened, in reverse order (fields not yet assigned are null). */
  private void releaseAfterFailedStart() {
    if (policyAcks != null) {
      policyAcks.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (pushExecutor != null) {
      pushExecutor.shutdownNow();
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
  }

  private int servingInstances(String service, String version) {
    ServiceView view = registry.service(service);
    return view == null ? 0 : (int) view.instances().stream()
        .filter(i -> i.getVersion().equals(version) && i.getHealth() == HealthStatus.HEALTH_STATUS_SERVING)
        .count();
  }

  /** Returns a builder with production defaults (system time, secure random ids). */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the gRPC services to bind: RegistryService, DiscoveryService, StatsService, CanaryService,
   * xDS's AggregatedDiscoveryService and KEDA's ExternalScaler. A request that is not a valid protobuf message gets
   * INVALID_ARGUMENT ({@link MalformedRequests}).
   */
  public List<BindableService> services() {
    // Each answers a request that is not valid protobuf with INVALID_ARGUMENT (not UNKNOWN and a logged stack trace).
    return List.of(MalformedRequests.rejecting(registryService), MalformedRequests.rejecting(discoveryService),
        MalformedRequests.rejecting(statsService), MalformedRequests.rejecting(canaryService),
        MalformedRequests.rejecting(adsService), MalformedRequests.rejecting(scalerService));
  }

  /** Returns the local view of the registry (reads and watches are served from it). */
  public RegistryView registry() {
    return registry;
  }

  /** Returns the store that takes writes: in memory, or Redis. */
  public RegistryStore store() {
    return backend.registry();
  }

  /** Returns the backend holding the registry store, stats, rollouts and leases. */
  public StoreBackend backend() {
    return backend;
  }

  public PushEngine engine() {
    return engine;
  }

  /** Returns the per-version request stats reported by the data plane (in Redis: every replica's). */
  public StatsStore stats() {
    return backend.stats();
  }

  /**
   * Returns how many reported stats entries this replica did not keep for {@code reason}: {@code
   * unknown_series} (no instance or policy names the version) or {@code series_limit}.
   */
  public long statsDropped(String reason) {
    return statsService.dropped(reason);
  }

  /** Returns where rollouts persist (in Redis: shared by the replicas, surviving restarts). */
  public RolloutStore rollouts() {
    return backend.rollouts();
  }

  /** Returns the leadership leases that decide which replica evaluates a rollout. */
  public Leases leases() {
    return backend.leases();
  }

  /** Returns this control plane's identity as a lease owner: random, unique per start. */
  public String replicaId() {
    return replicaId;
  }

  /** Returns the wall clock (stats buckets, rollout timestamps). */
  public Clock wallClock() {
    return wallClock;
  }

  /** Returns the canary controller's policy publisher (its NACK and fleet-timeout counts). */
  public StorePolicyPublisher policyPublisher() {
    return policyPublisher;
  }

  /** Returns the autoscaling signals the gateways' stats feed (KEDA's external scaler, /metrics). */
  public LoadSignals autoscale() {
    return autoscale;
  }

  /** Returns the canary controller: rollouts, manual commands, watches. */
  public CanaryController canary() {
    return canary;
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
    scalerService.shutdown();
    engine.close();
  }

  @Override
  public void close() {
    canary.close();
    policyAcks.close();
    autoscale.close();
    shutdownStreams();
    backend.close();
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
    private PushLimits pushLimits = PushLimits.ofDefaults();
    private Ticker ticker = Ticker.system();
    private ScheduledExecutorService scheduler;
    private Supplier<String> ids = secureIds();
    private RegistryEvents registryEvents = RegistryEvents.NONE;
    private ConvergenceListener convergenceListener = ConvergenceListener.NONE;
    private Versions versions;
    private int pushThreads = Runtime.getRuntime().availableProcessors();
    private int inlineDrains = PushEngine.DEFAULT_INLINE_DRAINS;
    private RedisStoreConfig redis;
    private Clock wallClock = Clock.systemUTC();
    private Duration statsRetention = StatsStore.DEFAULT_RETENTION;
    private StatsLimits statsLimits = StatsLimits.ofDefaults();
    private boolean sharedClock = true;
    private Duration policyFleetTimeout = StorePolicyPublisher.DEFAULT_FLEET_TIMEOUT;
    private RolloutStore rolloutStore;
    private Duration canaryLeaseTtl = LeaseLeadership.DEFAULT_TTL;
    private Authorizer authorizer = Authorizer.ALLOW_ALL;
    private AutoscaleConfig autoscale = AutoscaleConfig.ofDefaults();

    private Builder() {}

    /** Limits of the autoscaling signals (KEDA's external scaler, /metrics); default {@link AutoscaleConfig#ofDefaults()}. */
    public Builder autoscale(AutoscaleConfig v) {
      this.autoscale = java.util.Objects.requireNonNull(v, "autoscale");
      return this;
    }

    /**
     * Decides per request what each caller may do (own-service writes, granted watches, rate
     * limits); default {@link Authorizer#ALLOW_ALL} (auth off). The per-method role rules and the
     * identity itself come from an {@code AuthInterceptor} on the server.
     */
    public Builder authorizer(Authorizer v) {
      this.authorizer = java.util.Objects.requireNonNull(v, "authorizer");
      return this;
    }

    /** Wall clock that keys stats buckets (and stamps rollouts); tests pass a fixed or fake one. */
    public Builder wallClock(Clock v) {
      this.wallClock = v;
      return this;
    }

    /**
     * Whether a control plane on Redis reads the wall clock as Redis's (TIME, measured as an offset
     * from {@link #wallClock}) so that every replica buckets stats and cuts canary windows alike;
     * default true. Without Redis the wall clock is used as it is either way.
     */
    public Builder sharedClock(boolean v) {
      this.sharedClock = v;
      return this;
    }

    /**
     * How long the canary lease holder waits for the other replicas' watchers to answer a rollout's
     * TrafficPolicy before calling it converged without them (logged, counted); default 30 s.
     */
    public Builder policyFleetTimeout(Duration v) {
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException("policyFleetTimeout must be positive: " + v);
      }
      this.policyFleetTimeout = v;
      return this;
    }

    /** How long reported stats are kept; default 15 minutes. */
    public Builder statsRetention(Duration v) {
      if (v.toSeconds() < 1) {
        throw new IllegalArgumentException("statsRetention must be at least 1 s: " + v);
      }
      this.statsRetention = v;
      return this;
    }

    /** What ReportStats may add: entries per batch, per reporter and per second, requests per entry, series held. */
    public Builder statsLimits(StatsLimits v) {
      this.statsLimits = java.util.Objects.requireNonNull(v, "statsLimits");
      return this;
    }

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

    /**
     * Subscribers a change may need for their responses to be built and handed to the transport on
     * the writer's thread (the Register call's, or the Redis change-log reader's) instead of a push
     * thread; 0 always uses the push threads. Default {@link PushEngine#DEFAULT_INLINE_DRAINS}.
     */
    public Builder inlineDrains(int v) {
      if (v < 0) {
        throw new IllegalArgumentException("inlineDrains must not be negative: " + v);
      }
      this.inlineDrains = v;
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

    /**
     * Keeps rollouts of an in-memory control plane in {@code v} instead of a new store: handing one
     * store to the next control plane carries rollouts over a restart. Ignored with Redis, where
     * rollouts live in Redis.
     */
    public Builder rolloutStore(RolloutStore v) {
      this.rolloutStore = v;
      return this;
    }

    /** How long the canary controller's lease lasts without renewal (renewed every second); default 5 s. */
    public Builder canaryLeaseTtl(Duration v) {
      Leases.check(LeaseLeadership.LEASE_NAME, "check", v);
      this.canaryLeaseTtl = v;
      return this;
    }

    public ControlPlane build() {
      return new ControlPlane(this);
    }
  }
}
