/**
 * Resilience shared by the gateway and the sidecar: resilience4j circuit breakers per instance and
 * per service ({@link dev.vertice.gateway.resilience.Guards}), outlier ejection and a retry budget,
 * all timed by an injected {@link dev.vertice.common.Ticker}.
 */
package dev.vertice.gateway.resilience;
