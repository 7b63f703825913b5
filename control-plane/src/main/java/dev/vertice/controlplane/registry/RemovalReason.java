package dev.vertice.controlplane.registry;

/** {@code RemovalReason} says why an instance left the registry. */
public enum RemovalReason {
  /** Deregister was called. */
  DEREGISTERED,
  /** The lease was not renewed within its TTL. */
  EXPIRED,
  /** The KeepAlive stream ended and no ping arrived within the grace period. */
  GRACE_EXPIRED
}
