/**
 * The gateway's resilience state: count-based circuit breakers per instance and per service
 * ({@link dev.vertice.gateway.resilience.Breaker}, resilience4j's state machine without a lock or
 * an allocation per call, made by {@link dev.vertice.gateway.resilience.Guards}), outlier ejection
 * and a retry budget, configured by {@link dev.vertice.gateway.resilience.ResilienceConfig} and all
 * timed by an injected {@link dev.vertice.common.Ticker} ({@link
 * dev.vertice.gateway.resilience.TickerClock} adapts it for the resilience4j breakers of the health
 * checks).
 *
 * <p>Pure state: no network, no Netty, no dependency on other gateway packages; the proxies report
 * outcomes to it and the router reads it.
 */
package dev.vertice.gateway.resilience;
