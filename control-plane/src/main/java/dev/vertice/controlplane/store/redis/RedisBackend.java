package dev.vertice.controlplane.store.redis;

import dev.vertice.common.Ticker;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.store.Leases;
import dev.vertice.controlplane.store.RolloutStore;
import dev.vertice.controlplane.store.PolicyAcks;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StoreBackend;
import dev.vertice.controlplane.store.StoreUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * {@code RedisBackend} keeps everything in one Redis shared by every replica: the registry (with
 * its change log feeding this replica's view) on connections of its own, and stats, rollouts and
 * leadership leases on one shared {@link ScriptedRedis} connection.
 */
public final class RedisBackend implements StoreBackend {

  private final RedisRegistryStore registry;
  private final ScriptedRedis shared;
  private final RedisStatsStore stats;
  private final RedisRolloutStore rollouts;
  private final RedisLeases leases;
  private final Ticker ticker;
  private final RedisPolicyAcks policyAcks;

  private RedisBackend(RedisRegistryStore registry, ScriptedRedis shared, RedisRolloutStore rollouts,
      Duration statsRetention, int statsMaxSeries, Ticker ticker) {
    this.registry = registry;
    this.ticker = ticker;
    this.policyAcks = new RedisPolicyAcks(shared);
    this.shared = shared;
    this.rollouts = rollouts;
    this.stats = new RedisStatsStore(shared, statsRetention, statsMaxSeries);
    this.leases = new RedisLeases(shared);
  }

  /**
   * Connects to Redis; {@link #start()} then loads the state into {@code view}. On failure, what
   * was opened is closed.
   *
   * @throws StoreUnavailableException when Redis cannot be reached
   */
  public static RedisBackend connect(RedisStoreConfig redis, RegistryConfig config, RegistryView view, Ticker ticker,
      ScheduledExecutorService scheduler, Supplier<String> ids, RegistryEvents events, Duration statsRetention,
      int statsMaxSeries) throws StoreUnavailableException {
    RedisRegistryStore registry = new RedisRegistryStore(redis, config, view, ticker, scheduler, ids, events);
    ScriptedRedis shared = null;
    try {
      shared = new ScriptedRedis(redis);
      // Registration scripts carry a deadline in Redis's time; the offset is measured now and every
      // 30 s on the scheduler, so that a write never waits for the measurement.
      RedisTimeClock redisTime = new RedisTimeClock(shared, Clock.systemUTC(), ticker);
      redisTime.millis();
      registry.fenceWrites(() -> System.currentTimeMillis() + redisTime.offsetMillis());
      scheduler.scheduleWithFixedDelay(redisTime::millis, 30, 30, java.util.concurrent.TimeUnit.SECONDS);
      return new RedisBackend(registry, shared, new RedisRolloutStore(shared), statsRetention, statsMaxSeries,
          ticker);
    } catch (StoreUnavailableException | RuntimeException e) {
      if (shared != null) {
        shared.close();
      }
      registry.close();
      throw e;
    }
  }

  @Override
  public RedisRegistryStore registry() {
    return registry;
  }

  @Override
  public StatsStore stats() {
    return stats;
  }

  @Override
  public RolloutStore rollouts() {
    return rollouts;
  }

  @Override
  public Leases leases() {
    return leases;
  }

  /** Replicas of one store share its history, and so its epoch. */
  @Override
  public Optional<String> sharedEpoch() {
    return Optional.of(registry.epoch());
  }

  /** Every replica's answers to TrafficPolicy revisions, and their heartbeats. */
  @Override
  public PolicyAcks policyAcks() {
    return policyAcks;
  }

  /** Redis's clock (TIME), measured as an offset from {@code local}: see {@link RedisTimeClock}. */
  @Override
  public Clock sharedClock(Clock local) {
    return new RedisTimeClock(shared, local, ticker);
  }

  @Override
  public boolean remote() {
    return true;
  }

  @Override
  public void start() throws StoreUnavailableException {
    registry.start();
  }

  @Override
  public void close() {
    registry.close();
    stats.close();
    rollouts.close();
    shared.close();
  }
}
