/**
 * Autoscaling signals: what the gateways report per (service, version) over {@code ReportStats}
 * (requests, errors, latency, requests in flight), kept as each reporter's latest interval and
 * turned into per-service load signals for KEDA's external scaler API and for Prometheus.
 *
 * <p>{@link dev.vertice.controlplane.autoscale.LoadSignals} holds the state and pushes activity
 * changes to watchers as reports arrive; {@link dev.vertice.controlplane.autoscale.ScalerQuery}
 * parses a ScaledObject's metadata. Knows nothing of gRPC (the service layer,
 * {@code server.ExternalScalerGrpcService}, translates) nor of the stores: it is fed by the stats
 * intake, never by polling.
 */
package dev.vertice.controlplane.autoscale;
