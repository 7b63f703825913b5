/**
 * Load-balancing policies of the gateway over immutable endpoint lists:
 * {@link dev.vertice.gateway.balancer.PowerOfTwoChoicesBalancer} (least request, the default) and
 * {@link dev.vertice.gateway.balancer.WeightedRoundRobinBalancer}, and the
 * {@link dev.vertice.gateway.balancer.Endpoint} they pick (an instance, its weight and its count of
 * requests in flight).
 *
 * <p>Pure choice: no network, no clock, no dependency on other gateway packages. Which endpoints are
 * eligible (health, breakers, ejection) is decided by the caller's filter.
 */
package dev.vertice.gateway.balancer;
