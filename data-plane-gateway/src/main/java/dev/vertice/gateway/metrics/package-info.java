/**
 * Micrometer meters of the gateway's proxying: requests, attempts, retries, ejections, breakers.
 * {@link dev.vertice.gateway.metrics.GatewayMetrics} is a
 * {@link dev.vertice.gateway.proxy.ProxyObserver}: it only counts what the proxies report and
 * never influences a request.
 */
package dev.vertice.gateway.metrics;
