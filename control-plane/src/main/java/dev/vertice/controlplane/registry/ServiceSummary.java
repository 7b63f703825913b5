package dev.vertice.controlplane.registry;

/**
 * {@code ServiceSummary} counts one service's instances.
 *
 * @param service canonical service name
 * @param instances all instances
 * @param serving instances with health SERVING
 * @param version the service's Endpoints version
 */
public record ServiceSummary(String service, int instances, int serving, long version) {}
