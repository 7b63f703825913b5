/**
 * Plumbing of the health-check API (HTTP and gRPC probers, probe limiter, Redis layer, JSON
 * writer); not API, used by {@code dev.vertice.gateway.health} only.
 */
package dev.vertice.gateway.health.internal;
