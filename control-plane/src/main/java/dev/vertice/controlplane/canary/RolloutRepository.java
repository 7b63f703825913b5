package dev.vertice.controlplane.canary;

import dev.vertice.canary.Rollout;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code RolloutRepository} keeps rollouts where every replica (and a restarted control plane) finds
 * them. The canary controller is its only writer, and writes only while it holds the lease.
 * Implementations are thread-safe.
 */
public interface RolloutRepository {

  /** Returns the rollout {@code id}, or empty. */
  Optional<Rollout> get(String id);

  /** Returns every rollout kept, in no particular order. */
  List<Rollout> list();

  /**
   * Stores {@code rollout}, replacing the one with its id.
   *
   * @throws IllegalStateException when the rollout changed since this repository last read or
   *     wrote it (another writer got there first); nothing changed
   */
  void put(Rollout rollout);

  /**
   * Calls {@code listener} after every write, by this replica or (for a shared repository) any
   * other; possibly on a repository thread, so it must be quick and must not call back into the
   * repository.
   */
  void addListener(Consumer<Rollout> listener);
}
