package dev.vertice.controlplane.store.memory;

import dev.vertice.common.Ticker;
import dev.vertice.controlplane.store.Leases;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** {@code InMemoryLeases} keeps leases in this process, timed by the injected {@link Ticker}. */
public final class InMemoryLeases implements Leases {

  private record Held(String owner, long deadlineNanos) {}

  private final Ticker ticker;
  private final Map<String, Held> leases = new HashMap<>(); // guarded by this

  public InMemoryLeases(Ticker ticker) {
    this.ticker = ticker;
  }

  @Override
  public synchronized boolean tryAcquire(String name, String owner, Duration ttl) {
    Leases.check(name, owner, ttl);
    Held h = live(name);
    if (h != null && !h.owner().equals(owner)) {
      return false;
    }
    if (h == null && leases.size() >= 10_000) {
      // Expired leases are dropped when next read; bound the map when many names are used once.
      long now = ticker.nanoTime();
      leases.values().removeIf(l -> l.deadlineNanos() - now <= 0);
    }
    leases.put(name, new Held(owner, ticker.nanoTime() + ttl.toNanos()));
    return true;
  }

  @Override
  public synchronized boolean renew(String name, String owner, Duration ttl) {
    Leases.check(name, owner, ttl);
    Held h = live(name);
    if (h == null || !h.owner().equals(owner)) {
      return false;
    }
    leases.put(name, new Held(owner, ticker.nanoTime() + ttl.toNanos()));
    return true;
  }

  @Override
  public synchronized boolean release(String name, String owner) {
    Leases.check(name, owner, null);
    Held h = live(name);
    if (h == null || !h.owner().equals(owner)) {
      return false;
    }
    leases.remove(name);
    return true;
  }

  @Override
  public synchronized Optional<String> holder(String name) {
    Held h = live(name);
    return h == null ? Optional.empty() : Optional.of(h.owner());
  }

  /** Caller holds the lock; drops an expired lease. */
  private Held live(String name) {
    Held h = leases.get(name);
    if (h != null && h.deadlineNanos() - ticker.nanoTime() <= 0) {
      leases.remove(name);
      return null;
    }
    return h;
  }
}
