/**
 * The gateway's gRPC proxy: any method, unary and streaming, relayed as HTTP/2 frames to an
 * instance registered with protocol {@code grpc}, with the same routing, breakers, outlier
 * ejection, stats and metrics as the HTTP proxy (calls are never retried).
 *
 * <p>{@link dev.vertice.gateway.grpc.GrpcProxyServer} is the listener and the routing of a new
 * call; {@code DownstreamConnection} and {@code UpstreamConnection} are the two kinds of HTTP/2
 * connection (Netty's connection handler with the relay as its frame listener); {@code RelayedCall}
 * is one call between them; {@code FlushBatch} flushes what a turn of an event loop wrote;
 * {@code GrpcWire} holds gRPC's HTTP/2 mapping (status, trailers, {@code grpc-timeout}, message
 * prefixes); {@code CallTracing} the spans. It never parses messages (no generated stubs of the
 * proxied services) and picks instances only through {@link dev.vertice.gateway.routing.Router}.
 */
package dev.vertice.gateway.grpc;
