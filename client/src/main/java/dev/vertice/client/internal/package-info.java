/**
 * {@code dev.vertice.client.internal} is the plumbing behind the client's public types; nothing
 * here is API, and other modules must not import it (what they need is public in {@code
 * dev.vertice.client}, for example {@code Backoff}).
 *
 * <p>What it owns:
 *
 * <ul>
 *   <li>the Watch protocol, split as grpc-java splits its xDS client: {@link
 *       dev.vertice.client.internal.WatchStreamClient} (one stream at a time, subscribe, ACK/NACK
 *       by nonce, resume with the versions held, reconnect with backoff), {@link
 *       dev.vertice.client.internal.ServiceCache} (subscription, cached snapshots and policies,
 *       waiters, listener dispatch; knows nothing of gRPC), and one {@link
 *       dev.vertice.client.internal.ResourceDecoder} per resource type ({@link
 *       dev.vertice.client.internal.EndpointsDecoder}, {@link
 *       dev.vertice.client.internal.TrafficPolicyDecoder}; they know nothing of the stream or the
 *       cache);
 *   <li>the connection to the replicas: {@link dev.vertice.client.internal.ControlPlaneChannels},
 *       {@link dev.vertice.client.internal.ControlPlaneConnection}, {@link
 *       dev.vertice.client.internal.UnaryCalls};
 *   <li>the gRPC plugins' implementations: {@link
 *       dev.vertice.client.internal.VerticeNameResolver} and {@link
 *       dev.vertice.client.internal.VerticeRoundRobinLoadBalancer}, which share attribute keys
 *       through the public {@code VerticeAttributes}; the balancer never imports its provider (the
 *       provider creates it).
 * </ul>
 *
 * <p>It may use the public value types of {@code dev.vertice.client} (snapshots, listener,
 * configs) but never the public clients' internals: the public classes assemble these parts, not
 * the other way round (the name resolver, which reads a {@code WatchClient}, is the one consumer of
 * a public client).
 */
package dev.vertice.client.internal;
