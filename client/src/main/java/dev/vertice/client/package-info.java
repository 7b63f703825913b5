/**
 * {@code dev.vertice.client} is the Java SDK of Vertice: {@link dev.vertice.client.RegistryClient}
 * registers instances and keeps their leases alive, {@link dev.vertice.client.WatchClient} holds a
 * push-fed local cache of endpoints, {@link dev.vertice.client.VerticeNameResolverProvider} lets
 * grpc-java channels resolve {@code vertice:///service} targets from that cache, and {@link
 * dev.vertice.client.VerticeRoundRobinLoadBalancerProvider} balances their calls round-robin,
 * failing them at once while the service has no SERVING instance.
 *
 * <p>Every client takes a list of control-plane replicas ({@link
 * dev.vertice.client.ControlPlaneAddresses}), fails over between them with a jittered exponential
 * {@link dev.vertice.client.BackoffConfig backoff}, and takes its time and timers from injected
 * sources so that tests can drive them with a fake clock. Types in {@code
 * dev.vertice.client.internal} are not API.
 */
package dev.vertice.client;
