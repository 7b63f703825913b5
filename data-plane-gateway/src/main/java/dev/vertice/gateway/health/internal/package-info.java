/** Plumbing of the health-check API (probers, limiter, Redis layer, JSON writer); not API. */
package dev.vertice.gateway.health.internal;
