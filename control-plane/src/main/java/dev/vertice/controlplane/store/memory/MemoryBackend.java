package dev.vertice.controlplane.store.memory;

import dev.vertice.common.Ticker;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.store.Leases;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.RolloutStore;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StoreBackend;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * {@code MemoryBackend} keeps everything in this process: one replica, a new history at every
 * start. Only the rollouts can outlive it, when handed in.
 */
public final class MemoryBackend implements StoreBackend {

  private final InMemoryRegistryStore registry;
  private final InMemoryStatsStore stats;
  private final RolloutStore rollouts;
  /** Whether close() closes the rollout store: not when it was handed in. */
  private final boolean ownsRollouts;
  private final InMemoryLeases leases;

  /**
   * Creates the stores; the registry store writes {@code view} and expires leases on {@code
   * scheduler}.
   *
   * @param rollouts a rollout store to keep using (not closed by this backend), or null for a new one
   */
  public MemoryBackend(RegistryConfig config, RegistryView view, Ticker ticker, ScheduledExecutorService scheduler,
      Supplier<String> ids, RegistryEvents events, Duration statsRetention, int statsMaxSeries,
      RolloutStore rollouts) {
    this.registry = new InMemoryRegistryStore(config, view, ticker, scheduler, ids, events);
    this.stats = new InMemoryStatsStore(statsRetention, statsMaxSeries);
    this.rollouts = rollouts != null ? rollouts : new InMemoryRolloutStore();
    this.ownsRollouts = rollouts == null;
    this.leases = new InMemoryLeases(ticker);
  }

  @Override
  public RegistryStore registry() {
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

  @Override
  public Optional<String> sharedEpoch() {
    return Optional.empty();
  }

  @Override
  public boolean remote() {
    return false;
  }

  /** Nothing to load: lease expiry runs from construction. */
  @Override
  public void start() {}

  @Override
  public void close() {
    registry.close();
    stats.close();
    if (ownsRollouts) {
      rollouts.close();
    }
  }
}
