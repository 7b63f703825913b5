package dev.vertice.gateway.resilience;

/**
 * {@code ServiceGuard} is the resilience state of one service: its circuit breaker (over every
 * attempt to any of its instances) and its retry budget. Thread-safe.
 *
 * @param breaker the service-wide breaker
 * @param retryBudget the service's retry budget
 */
public record ServiceGuard(Breaker breaker, RetryBudget retryBudget) {}
