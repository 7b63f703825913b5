/**
 * What every Vertice process exports for operators: an admin HTTP port ({@link
 * dev.vertice.observability.AdminServer}) serving Prometheus metrics from a {@link
 * dev.vertice.observability.Metrics} registry, gRPC server call metrics ({@link
 * dev.vertice.observability.GrpcServerMetrics}) and OpenTelemetry tracing ({@link
 * dev.vertice.observability.Tracing}). The admin port runs on the package {@code http}'s small
 * Netty server, which the demo services and the sidecar's local API use too.
 *
 * <p>It depends on {@code common} only among Vertice modules: it knows nothing of the client, the
 * control plane or the data plane, which bind their own meters to its registry (the watch client's
 * are {@code dev.vertice.client.WatchClientMetrics}).
 */
package dev.vertice.observability;
