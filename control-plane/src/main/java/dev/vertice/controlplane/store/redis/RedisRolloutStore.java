package dev.vertice.controlplane.store.redis;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vertice.api.canary.v1.Rollout;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.RolloutConflictException;
import dev.vertice.controlplane.store.RolloutStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import dev.vertice.controlplane.store.StoredRollout;
import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code RedisRolloutStore} keeps rollouts in Redis, shared by the replicas and surviving their
 * restarts: a hash of rollout bytes and one of revisions, changed by Lua compare-and-set scripts
 * that also publish each write, so listeners on every replica hear of it.
 */
public final class RedisRolloutStore implements RolloutStore {

  private static final Logger log = Logger.getLogger(RedisRolloutStore.class.getName());

  private final ScriptedRedis redis;
  private final List<Consumer<StoredRollout>> listeners = new CopyOnWriteArrayList<>();

  /**
   * Creates the store on {@code redis} (not closed by {@link #close()}) and subscribes to the
   * writes of every replica.
   */
  public RedisRolloutStore(ScriptedRedis redis) throws StoreUnavailableException {
    this.redis = redis;
    redis.subscribe("rollouts", this::published);
  }

  @Override
  public StoredRollout put(Rollout rollout, long expectedRevision)
      throws RolloutConflictException, CapacityExceededException, StoreUnavailableException {
    byte[] bytes = RolloutStore.checked(rollout);
    List<Object> r = redis.eval("rollout_put", ScriptOutputType.MULTI, rollout.getId(), bytes, expectedRevision,
        MAX_ROLLOUTS);
    long revision = (Long) r.get(0);
    if (revision == -1) {
      throw new RolloutConflictException(rollout.getId(), expectedRevision, (Long) r.get(1));
    }
    if (revision == -2) {
      throw new CapacityExceededException(MAX_ROLLOUTS + " rollouts are stored, the limit; remove finished ones");
    }
    // Listeners hear of it from the publication, like every replica's.
    return new StoredRollout(rollout, revision);
  }

  @Override
  public Optional<StoredRollout> get(String id) throws StoreUnavailableException {
    List<Object> r = redis.eval("rollout_get", ScriptOutputType.MULTI, id);
    long revision = (Long) r.get(0);
    if (revision == 0) {
      return Optional.empty();
    }
    return Optional.of(new StoredRollout(parse(id, (byte[]) r.get(1)), revision));
  }

  @Override
  public List<StoredRollout> list() throws StoreUnavailableException {
    List<Object> flat = redis.eval("rollout_list", ScriptOutputType.MULTI);
    List<StoredRollout> out = new ArrayList<>(flat.size() / 3);
    for (int i = 0; i + 2 < flat.size(); i += 3) {
      String id = ScriptedRedis.string(flat.get(i));
      try {
        out.add(new StoredRollout(Rollout.parseFrom((byte[]) flat.get(i + 2)),
            Long.parseLong(ScriptedRedis.string(flat.get(i + 1)))));
      } catch (InvalidProtocolBufferException | ClassCastException e) {
        log.severe("unreadable rollout '" + id + "' in Redis; skipped");
      }
    }
    out.sort(Comparator.comparing(StoredRollout::id));
    return out;
  }

  @Override
  public void remove(String id, long expectedRevision) throws RolloutConflictException, StoreUnavailableException {
    List<Object> r = redis.eval("rollout_remove", ScriptOutputType.MULTI, id, expectedRevision);
    if ((Long) r.get(0) == -1) {
      throw new RolloutConflictException(id, expectedRevision, (Long) r.get(1));
    }
  }

  @Override
  public long nextSequence(String service) throws StoreUnavailableException {
    return redis.call(c -> c.incr(redis.key("rollout-seq:" + service)));
  }

  @Override
  public void addListener(Consumer<StoredRollout> listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    listeners.clear();
  }

  /** A write was published as "<revision> <id>": read it and tell the listeners. */
  private void published(String message) {
    if (listeners.isEmpty()) {
      return;
    }
    int space = message.indexOf(' ');
    if (space < 0) {
      return;
    }
    String id = message.substring(space + 1);
    try {
      // The publication names the revision written; a newer one may be there already, which is
      // what listeners want anyway.
      Optional<StoredRollout> now = get(id);
      if (now.isEmpty()) {
        return;
      }
      for (Consumer<StoredRollout> l : listeners) {
        try {
          l.accept(now.get());
        } catch (RuntimeException e) {
          log.log(Level.WARNING, "rollout listener failed", e);
        }
      }
    } catch (StoreUnavailableException | RuntimeException e) {
      log.log(Level.WARNING, "could not read rollout '" + id + "' after its publication", e);
    }
  }

  private static Rollout parse(String id, byte[] data) throws StoreUnavailableException {
    try {
      return Rollout.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      throw new StoreUnavailableException("unreadable rollout '" + id + "' in Redis", e);
    }
  }
}
