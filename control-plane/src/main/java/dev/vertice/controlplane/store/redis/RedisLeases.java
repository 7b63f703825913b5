package dev.vertice.controlplane.store.redis;

import dev.vertice.controlplane.store.Leases;
import dev.vertice.controlplane.store.StoreUnavailableException;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code RedisLeases} keeps leadership leases in Redis, one key per name holding the owner, with a
 * PX expiry timed by Redis's clock. Taking, renewing and releasing are Lua check-and-set scripts,
 * so only the holder renews or releases, and a lease that expired is taken by the next owner that
 * asks, on any replica.
 */
public final class RedisLeases implements Leases {

  private final ScriptedRedis redis;

  /** Creates leases on {@code redis} (not closed by this object). */
  public RedisLeases(ScriptedRedis redis) {
    this.redis = redis;
  }

  @Override
  public boolean tryAcquire(String name, String owner, Duration ttl) throws StoreUnavailableException {
    Leases.check(name, owner, ttl);
    long r = redis.eval("lease_acquire", ScriptOutputType.INTEGER, name, owner, ttl.toMillis(), "acquire");
    return r == 1;
  }

  @Override
  public boolean renew(String name, String owner, Duration ttl) throws StoreUnavailableException {
    Leases.check(name, owner, ttl);
    long r = redis.eval("lease_acquire", ScriptOutputType.INTEGER, name, owner, ttl.toMillis(), "renew");
    return r == 1;
  }

  @Override
  public boolean release(String name, String owner) throws StoreUnavailableException {
    Leases.check(name, owner, null);
    long r = redis.eval("lease_release", ScriptOutputType.INTEGER, name, owner);
    return r == 1;
  }

  @Override
  public Optional<String> holder(String name) throws StoreUnavailableException {
    byte[] owner = redis.call(c -> c.get(redis.key("lease-lock:" + name)));
    return owner == null ? Optional.empty() : Optional.of(ScriptedRedis.string(owner));
  }
}
