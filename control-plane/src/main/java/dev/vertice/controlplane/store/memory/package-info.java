/**
 * The in-memory store: instances with their leases and expiry, request stats, rollouts and
 * leadership leases held in this process only, for a single control-plane replica (and tests).
 *
 * <p>Knows nothing of gRPC or Redis; changes reach watchers only through the registry view it
 * writes.
 */
package dev.vertice.controlplane.store.memory;
