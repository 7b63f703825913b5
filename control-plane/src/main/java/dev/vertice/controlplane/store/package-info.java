/**
 * The control plane's store seam: the interfaces every backend implements ({@link
 * dev.vertice.controlplane.store.RegistryStore} for instances, leases and TrafficPolicies, {@link
 * dev.vertice.controlplane.store.StatsStore}, {@link dev.vertice.controlplane.store.RolloutStore},
 * {@link dev.vertice.controlplane.store.Leases}), their value records and the exceptions they
 * share. {@code memory/} and {@code redis/} are two complete implementations of the same contract.
 *
 * <p>Owns the facts and their history; knows nothing of gRPC, streams or the push engine. A store
 * reaches the watchers only by applying its changes to the registry view.
 */
package dev.vertice.controlplane.store;
