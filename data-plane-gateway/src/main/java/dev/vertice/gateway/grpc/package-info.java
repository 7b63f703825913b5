/**
 * The gateway's gRPC proxy: any method, unary and streaming, relayed as bytes to an instance
 * registered with protocol {@code grpc}, with the same routing, breakers, retries on connection
 * failure, stats and metrics as the HTTP proxy.
 *
 * <p>It never parses messages (no generated stubs of the proxied services) and picks instances only
 * through {@link dev.vertice.gateway.routing.Router}.
 */
package dev.vertice.gateway.grpc;
