package dev.vertice.controlplane.store;

import dev.vertice.api.registry.v1.Instance;
import java.time.Duration;

/**
 * {@code Registration} is the outcome of a Register.
 *
 * @param instance the instance as stored
 * @param leaseId the lease that keeps it registered
 * @param ttl the lease's TTL
 * @param keepaliveInterval the ping interval the client should use
 * @param resourceVersion the service's Endpoints version after the call
 * @param created whether the instance is new (false: an update or an idempotent repeat)
 */
public record Registration(
    Instance instance, String leaseId, Duration ttl, Duration keepaliveInterval, long resourceVersion, boolean created) {}
