/**
 * Load-balancing policies over immutable endpoint lists, shared by the gateway and the sidecar:
 * {@link dev.vertice.gateway.balancer.PowerOfTwoChoicesBalancer} (least request, the default) and
 * {@link dev.vertice.gateway.balancer.WeightedRoundRobinBalancer}.
 */
package dev.vertice.gateway.balancer;
