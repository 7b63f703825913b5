/**
 * {@code dev.vertice.client} is the Java SDK of Vertice, and its only API: {@link
 * dev.vertice.client.RegistryClient} registers instances and keeps their leases alive, {@link
 * dev.vertice.client.WatchClient} holds a push-fed local cache of endpoints (and traffic
 * policies), {@link dev.vertice.client.VerticeNameResolverProvider} lets grpc-java channels
 * resolve {@code vertice:///service} targets from that cache, {@link
 * dev.vertice.client.VerticeRoundRobinLoadBalancerProvider} balances their calls round-robin by
 * the traffic policy, failing them at once while the service has no SERVING instance, and {@link
 * dev.vertice.client.CanaryClient} and {@link dev.vertice.client.StatsReporter} speak to the
 * canary and stats services.
 *
 * <p>Every client takes a list of control-plane replicas ({@link
 * dev.vertice.client.ControlPlaneAddresses}), fails over between them with a jittered exponential
 * {@link dev.vertice.client.Backoff} ({@link dev.vertice.client.BackoffConfig}), and takes its
 * time and timers from injected sources so that tests can drive them with a fake clock. {@link
 * dev.vertice.client.VerticeAttributes} holds the gRPC attribute keys the resolver and balancer
 * share; {@link dev.vertice.client.WatchClientMetrics} exports a watch client's freshness to
 * Micrometer (an optional dependency).
 *
 * <p>This package owns the public types and their lifecycle (builders, {@code close()}); the
 * protocol work behind them lives in {@code dev.vertice.client.internal}, which is not API. It
 * depends on the generated API ({@code proto}) and {@code common} only: it knows nothing of the
 * control plane's, gateway's or sidecar's code.
 */
package dev.vertice.client;
