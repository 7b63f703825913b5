package dev.vertice.controlplane.canary;

import dev.vertice.canary.Rollout;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * {@code MemoryRollouts} keeps rollouts in memory: for one control plane without a shared store.
 * Handing the same instance to a new controller carries rollouts over a controller restart.
 */
public final class MemoryRollouts implements RolloutRepository {

  private final ConcurrentMap<String, Rollout> rollouts = new ConcurrentHashMap<>();
  private final List<Consumer<Rollout>> listeners = new CopyOnWriteArrayList<>();

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
    listeners.forEach(l -> l.accept(rollout));
  }

  @Override
  public void addListener(Consumer<Rollout> listener) {
    listeners.add(listener);
  }
}
