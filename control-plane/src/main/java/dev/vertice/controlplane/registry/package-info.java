/**
 * The registry's read side: {@link dev.vertice.controlplane.registry.RegistryView} holds the
 * instances and TrafficPolicies both stores apply their changes to, and is the source of the
 * Endpoints and TrafficPolicy resources the push engine serves; with the registry's config, the
 * policy validation and write API ({@link dev.vertice.controlplane.registry.TrafficPolicies}) and
 * the values that leave it.
 *
 * <p>Decides nothing and keeps no lease: the store under {@code controlplane.store} is the one
 * writer. Knows nothing of Redis or gRPC.
 */
package dev.vertice.controlplane.registry;
