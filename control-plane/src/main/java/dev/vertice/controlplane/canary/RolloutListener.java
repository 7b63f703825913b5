package dev.vertice.controlplane.canary;

import dev.vertice.canary.Rollout;

/**
 * {@code RolloutListener} hears of every change the lease-holding {@link CanaryController} commits
 * (persisted, and its weights published when they changed). Called under the controller's lock, in
 * order: must not block.
 */
@FunctionalInterface
public interface RolloutListener {

  /** {@code committed} reports that {@code before} became {@code after}. */
  void committed(Rollout before, Rollout after);
}
