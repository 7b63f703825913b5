/**
 * The routing decision: {@link dev.vertice.gateway.routing.RoutingState} turns the snapshots the
 * control plane pushed (Endpoints and TrafficPolicy per service) into immutable
 * {@link dev.vertice.gateway.routing.RoutingTable}s, {@link dev.vertice.gateway.routing.Router}
 * picks an instance for a request (version splits, canary weights, breakers and ejection, then the
 * balancer) and {@link dev.vertice.gateway.routing.RouteResolver} maps a request's host and path
 * to a service.
 *
 * <p>Routing reads only the pushed snapshot, never the network: it makes no call to the control
 * plane or to instances, and knows nothing of Netty or gRPC transports.
 */
package dev.vertice.gateway.routing;
