/** Micrometer meters of the gateway's proxying: requests, attempts, retries, ejections, breakers. */
package dev.vertice.gateway.metrics;
