package dev.vertice.controlplane.canary;

import dev.vertice.canary.Rollout;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * {@code MemoryRollouts} keeps rollouts in memory: for one control plane without a shared store.
 * Handing the same instance to a new controller carries rollouts over a controller restart.
 */
public final class MemoryRollouts implements RolloutRepository {

  private final ConcurrentMap<String, Rollout> rollouts = new ConcurrentHashMap<>();

  @Override
  public Optional<Rollout> get(String id) {
    return Optional.ofNullable(rollouts.get(id));
  }

  @Override
  public List<Rollout> list() {
    return List.copyOf(rollouts.values());
  }

  @Override
  public void put(Rollout rollout) {
    rollouts.put(rollout.id(), rollout);
  }
}
