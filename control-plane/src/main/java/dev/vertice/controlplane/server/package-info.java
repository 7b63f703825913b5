/**
 * The gRPC service layer of the control plane: it translates requests into calls on the registry,
 * the stores, the canary controller and the push engine, and their results and failures into
 * responses and statuses.
 *
 * <p>Owns: the gRPC services (Registry, Discovery/Watch, Stats, Canary, KEDA's ExternalScaler),
 * request validation with one field violation per bad field ({@code Validation}, {@code
 * StatsValidation}, {@code GrpcErrors}), the stream adapter shared by Watch and ADS ({@code PushStream}: a gRPC stream as a
 * push-engine subscriber), and the transport guards ({@code MalformedRequests}, {@code
 * StreamsPerConnectionLimit}).
 *
 * <p>May not touch: protocol state and data. It holds no registry, subscription or rollout state
 * of its own beyond one stream's wire bookkeeping; what a client subscribes to, holds and owes
 * lives in the push engine's {@code Subscriber}, the facts in the registry and stores. It does not
 * import {@code xds} ({@code xds} imports it), and it binds no port: {@code ControlPlaneServer}
 * does.
 */
package dev.vertice.controlplane.server;
