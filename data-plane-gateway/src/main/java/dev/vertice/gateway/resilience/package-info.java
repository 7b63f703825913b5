/**
 * The gateway's resilience state: resilience4j circuit breakers per instance and per service
 * ({@link dev.vertice.gateway.resilience.Guards}), outlier ejection and a retry budget, configured
 * by {@link dev.vertice.gateway.resilience.ResilienceConfig} and all timed by an injected
 * {@link dev.vertice.common.Ticker} ({@link dev.vertice.gateway.resilience.TickerClock} adapts it
 * for resilience4j).
 *
 * <p>Pure state: no network, no Netty, no dependency on other gateway packages; the proxies report
 * outcomes to it and the router reads it.
 */
package dev.vertice.gateway.resilience;
