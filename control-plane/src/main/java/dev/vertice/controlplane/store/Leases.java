package dev.vertice.controlplane.store;

import java.time.Duration;
import java.util.Optional;

/**
 * {@code Leases} hands out named, time-limited leadership: who evaluates a rollout (name it after
 * the rollout) or runs the controller (one global name). At most one owner holds a name at a time;
 * a holder that stops renewing loses it when its TTL runs out, and another owner can take it.
 *
 * <p>A lease bounds who acts, not what is written: a holder paused past its TTL may still write, so
 * writes are also guarded by {@link RolloutStore}'s revisions. In memory the TTL runs on the
 * injected ticker; in Redis on Redis's clock (SET NX PX). Implementations are thread-safe.
 */
public interface Leases {

  /** Shortest TTL accepted. */
  Duration MIN_TTL = Duration.ofMillis(100);
  /** Longest TTL accepted. */
  Duration MAX_TTL = Duration.ofMinutes(10);

  /**
   * Takes lease {@code name} for {@code owner} for {@code ttl} if nobody holds it, or renews it if
   * {@code owner} holds it already.
   *
   * @return whether {@code owner} holds the lease now
   * @throws IllegalArgumentException for an empty name or owner, or a TTL outside {@link #MIN_TTL}
   *     to {@link #MAX_TTL}
   */
  boolean tryAcquire(String name, String owner, Duration ttl) throws StoreUnavailableException;

  /**
   * Extends lease {@code name} to {@code ttl} from now if {@code owner} holds it.
   *
   * @return false when {@code owner} no longer holds it (it expired, and perhaps another took it):
   *     stop acting on what it guarded
   */
  boolean renew(String name, String owner, Duration ttl) throws StoreUnavailableException;

  /** Gives lease {@code name} up if {@code owner} holds it; returns whether it did. */
  boolean release(String name, String owner) throws StoreUnavailableException;

  /** Returns who holds lease {@code name} now, or empty. */
  Optional<String> holder(String name) throws StoreUnavailableException;

  /** Checks the arguments every implementation requires. */
  static void check(String name, String owner, Duration ttl) {
    if (name == null || name.isEmpty() || name.length() > 256) {
      throw new IllegalArgumentException("a lease name must be 1-256 characters: '" + name + "'");
    }
    if (owner == null || owner.isEmpty() || owner.length() > 256) {
      throw new IllegalArgumentException("a lease owner must be 1-256 characters: '" + owner + "'");
    }
    if (ttl != null && (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0)) {
      throw new IllegalArgumentException("a lease TTL must be " + MIN_TTL.toMillis() + " ms to " + MAX_TTL
          + ": " + ttl);
    }
  }
}
