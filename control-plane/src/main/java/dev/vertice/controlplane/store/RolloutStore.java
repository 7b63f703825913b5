package dev.vertice.controlplane.store;

import dev.vertice.api.canary.v1.Rollout;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code RolloutStore} persists rollouts for the canary controller, with compare-and-set writes so
 * that two replicas can never overwrite each other's decision: each write names the revision it
 * read, and fails with {@link RolloutConflictException} when the rollout moved on meanwhile.
 *
 * <p>In memory, rollouts last as long as the process; in Redis they survive a control-plane
 * restart and are shared by the replicas. Implementations are thread-safe.
 */
public interface RolloutStore extends AutoCloseable {

  /** Most rollouts held (finished ones included); remove old finished rollouts to make room. */
  int MAX_ROLLOUTS = 10_000;
  /** Largest serialized rollout. */
  int MAX_ROLLOUT_BYTES = 256 * 1024;

  /**
   * Creates ({@code expectedRevision == 0}) or updates ({@code expectedRevision} = the revision
   * read) the rollout with {@code rollout.id}.
   *
   * @return the rollout as stored, with its new revision
   * @throws RolloutConflictException when the rollout's revision is not {@code expectedRevision}
   *     (for a create: it exists already); nothing changed
   * @throws CapacityExceededException when creating beyond {@link #MAX_ROLLOUTS}
   * @throws IllegalArgumentException when the id is empty or the rollout is larger than {@link
   *     #MAX_ROLLOUT_BYTES}
   */
  StoredRollout put(Rollout rollout, long expectedRevision)
      throws RolloutConflictException, CapacityExceededException, StoreUnavailableException;

  /** Returns the rollout {@code id}, or empty. */
  Optional<StoredRollout> get(String id) throws StoreUnavailableException;

  /** Returns every rollout, sorted by id. */
  List<StoredRollout> list() throws StoreUnavailableException;

  /**
   * Removes rollout {@code id} if it is at {@code expectedRevision}.
   *
   * @throws RolloutConflictException when it is not (or does not exist); nothing changed
   */
  void remove(String id, long expectedRevision) throws RolloutConflictException, StoreUnavailableException;

  /**
   * Returns the next number of the ids of {@code service}'s rollouts: 1, 2, 3... never reused, also
   * across replicas (ids such as {@code orders-3}).
   */
  long nextSequence(String service) throws StoreUnavailableException;

  /**
   * Calls {@code listener} with every rollout written from now on (by any replica, in Redis),
   * after the write; a removed rollout is not reported. Listeners run on a store thread and must
   * be quick; a listener's failure is logged. Writes made while Redis was unreachable from this
   * replica's subscription may be missed: re-read with {@link #get} after a gap.
   */
  void addListener(Consumer<StoredRollout> listener);

  @Override
  void close();

  /** Checks what every implementation requires of a rollout to store. */
  static byte[] checked(Rollout rollout) {
    if (rollout.getId().isEmpty()) {
      throw new IllegalArgumentException("a rollout to store needs an id");
    }
    byte[] bytes = rollout.toByteArray();
    if (bytes.length > MAX_ROLLOUT_BYTES) {
      throw new IllegalArgumentException("rollout '" + rollout.getId() + "' is " + bytes.length
          + " bytes; at most " + MAX_ROLLOUT_BYTES + " (keep fewer decisions)");
    }
    return bytes;
  }
}
