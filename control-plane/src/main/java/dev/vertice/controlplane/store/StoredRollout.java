package dev.vertice.controlplane.store;

import dev.vertice.api.canary.v1.Rollout;
import java.util.Objects;

/**
 * {@code StoredRollout} is a rollout as the {@link RolloutStore} holds it.
 *
 * @param rollout the rollout (its {@code id} is the key)
 * @param revision the store's revision of this rollout: 1 when created, one more at each update;
 *     pass it back to {@link RolloutStore#put} to update
 */
public record StoredRollout(Rollout rollout, long revision) {

  public StoredRollout {
    Objects.requireNonNull(rollout, "rollout");
  }

  /** Returns the rollout's id. */
  public String id() {
    return rollout.getId();
  }
}
