package dev.vertice.controlplane.canary;

import dev.vertice.canary.Rollout;
import java.util.List;
import java.util.Optional;

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

  /** Stores {@code rollout}, replacing the one with its id. */
  void put(Rollout rollout);
}
