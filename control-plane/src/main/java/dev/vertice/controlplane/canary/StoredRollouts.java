package dev.vertice.controlplane.canary;

import dev.vertice.canary.Rollout;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.RolloutConflictException;
import dev.vertice.controlplane.store.RolloutStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import dev.vertice.controlplane.store.StoredRollout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code StoredRollouts} keeps rollouts in the control plane's {@link RolloutStore} (memory, or
 * Redis shared by the replicas), in their API form. Every write is a compare-and-set against the
 * revision this replica last read or wrote, so a replica that lost the lease without noticing
 * cannot overwrite the new holder's decisions.
 */
final class StoredRollouts {

  private static final Logger log = Logger.getLogger(StoredRollouts.class.getName());

  private final RolloutStore store;
  /** The revision of each rollout as this replica last read or wrote it. */
  private final ConcurrentMap<String, Long> revisions = new ConcurrentHashMap<>();

  /** Creates the repository over {@code store}. */
  StoredRollouts(RolloutStore store) {
    this.store = store;
  }

  /** Returns the rollout {@code id}, or empty. */
  Optional<Rollout> get(String id) {
    try {
      return store.get(id).map(this::read);
    } catch (StoreUnavailableException e) {
      throw unavailable(e);
    }
  }

  /** Returns every rollout kept, in no particular order. */
  List<Rollout> list() {
    try {
      List<Rollout> out = new ArrayList<>();
      for (StoredRollout s : store.list()) {
        try {
          out.add(read(s));
        } catch (IllegalArgumentException e) {
          // One unreadable entry (written by hand, or by a newer version) must not hide the others.
          log.log(Level.WARNING, "skipping stored rollout " + s.id() + ": " + e.getMessage());
        }
      }
      return out;
    } catch (StoreUnavailableException e) {
      throw unavailable(e);
    }
  }

  /**
   * Stores {@code rollout}, replacing the one with its id.
   *
   * @throws IllegalStateException when the rollout changed since this replica last read or wrote it
   *     (another writer got there first); nothing changed
   */
  void put(Rollout rollout) {
    long expected = revisions.getOrDefault(rollout.id(), 0L);
    try {
      StoredRollout s = store.put(RolloutProtos.toProto(rollout), expected);
      revisions.put(rollout.id(), s.revision());
    } catch (RolloutConflictException e) {
      revisions.remove(rollout.id());
      throw new IllegalStateException("rollout " + rollout.id() + " was changed by another replica meanwhile"
          + " (revision " + e.currentRevision() + ", expected " + expected + "); nothing was written", e);
    } catch (CapacityExceededException e) {
      throw new IllegalStateException(e.getMessage(), e);
    } catch (StoreUnavailableException e) {
      throw unavailable(e);
    }
  }

  /**
   * Calls {@code listener} after every write, by this replica or (for a shared store) any other;
   * possibly on a store thread, so it must be quick and must not call back into the store.
   */
  void addListener(Consumer<Rollout> listener) {
    store.addListener(s -> {
      try {
        listener.accept(RolloutProtos.fromProto(s.rollout()));
      } catch (IllegalArgumentException e) {
        log.log(Level.WARNING, "ignoring unreadable rollout " + s.id() + ": " + e.getMessage());
      }
    });
  }

  private Rollout read(StoredRollout s) {
    revisions.put(s.id(), s.revision());
    return RolloutProtos.fromProto(s.rollout());
  }

  private static IllegalStateException unavailable(StoreUnavailableException e) {
    return new IllegalStateException("the rollout store is unavailable: " + e.getMessage(), e);
  }
}
