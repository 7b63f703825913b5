/**
 * Load-balancing policies of the gateway over immutable endpoint lists:
 * {@link dev.vertice.gateway.balancer.PowerOfTwoChoicesBalancer} (least request, the default),
 * {@link dev.vertice.gateway.balancer.WeightedRoundRobinBalancer} and
 * {@link dev.vertice.gateway.balancer.PeakEwmaBalancer} (latency-aware), the
 * {@link dev.vertice.gateway.balancer.ZoneAwareBalancer} that puts local-zone preference in front of
 * any of them, and the {@link dev.vertice.gateway.balancer.Endpoint} they pick (an instance, its
 * zone, its weight, its count of requests in flight and its latency estimate).
 *
 * <p>Pure choice: no network, no dependency on other gateway packages; time only through the
 * endpoints' injected {@code Ticker}. Which endpoints are
 * eligible (health, breakers, ejection) is decided by the caller's filter.
 */
package dev.vertice.gateway.balancer;
