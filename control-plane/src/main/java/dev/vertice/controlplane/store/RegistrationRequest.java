package dev.vertice.controlplane.store;

import dev.vertice.api.registry.v1.Instance;
import java.time.Duration;

/**
 * {@code RegistrationRequest} is one entry of a batched Register: a validated, normalised instance
 * and its lease settings.
 *
 * @param instance the instance to add or update (an empty id gets a generated one)
 * @param ttl the lease TTL, within the config's bounds
 * @param keepaliveInterval the ping interval to hand back
 */
public record RegistrationRequest(Instance instance, Duration ttl, Duration keepaliveInterval) {}
