package dev.vertice.controlplane.store.memory;

import dev.vertice.api.canary.v1.Rollout;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.RolloutConflictException;
import dev.vertice.controlplane.store.RolloutStore;
import dev.vertice.controlplane.store.StoredRollout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/** {@code InMemoryRolloutStore} holds rollouts in this process: one lock, listeners called after it. */
public final class InMemoryRolloutStore implements RolloutStore {

  private static final Logger log = Logger.getLogger(InMemoryRolloutStore.class.getName());

  private final TreeMap<String, StoredRollout> rollouts = new TreeMap<>(); // guarded by this
  private final Map<String, Long> sequences = new HashMap<>(); // guarded by this
  private final List<Consumer<StoredRollout>> listeners = new CopyOnWriteArrayList<>();

  @Override
  public StoredRollout put(Rollout rollout, long expectedRevision)
      throws RolloutConflictException, CapacityExceededException {
    RolloutStore.checked(rollout);
    StoredRollout stored;
    synchronized (this) {
      StoredRollout current = rollouts.get(rollout.getId());
      long currentRevision = current == null ? 0 : current.revision();
      if (currentRevision != expectedRevision) {
        throw new RolloutConflictException(rollout.getId(), expectedRevision, currentRevision);
      }
      if (current == null && rollouts.size() >= MAX_ROLLOUTS) {
        throw full();
      }
      stored = new StoredRollout(rollout, currentRevision + 1);
      rollouts.put(rollout.getId(), stored);
    }
    notifyListeners(listeners, stored);
    return stored;
  }

  @Override
  public synchronized Optional<StoredRollout> get(String id) {
    return Optional.ofNullable(rollouts.get(id));
  }

  @Override
  public synchronized List<StoredRollout> list() {
    return new ArrayList<>(rollouts.values());
  }

  @Override
  public synchronized void remove(String id, long expectedRevision) throws RolloutConflictException {
    StoredRollout current = rollouts.get(id);
    if (current == null || current.revision() != expectedRevision) {
      throw new RolloutConflictException(id, expectedRevision, current == null ? 0 : current.revision());
    }
    rollouts.remove(id);
  }

  @Override
  public synchronized long nextSequence(String service) {
    return sequences.merge(service, 1L, Long::sum);
  }

  @Override
  public void addListener(Consumer<StoredRollout> listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    listeners.clear();
  }

  static CapacityExceededException full() {
    return new CapacityExceededException(MAX_ROLLOUTS + " rollouts are stored, the limit; remove finished ones");
  }

  static void notifyListeners(List<Consumer<StoredRollout>> listeners, StoredRollout stored) {
    for (Consumer<StoredRollout> l : listeners) {
      try {
        l.accept(stored);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "rollout listener failed", e);
      }
    }
  }
}
