/**
 * The push engine: it delivers resource changes to subscribers as fast as each can take them, and
 * measures when every subscriber that needed a change has answered it (convergence).
 *
 * <p>Owns: the subscribers' state ({@code Subscriber}, with {@code NameState} per name and {@code
 * OutstandingResponses} for ACK/NACK matching), coalescing and batching within {@code PushLimits},
 * flow control through {@code PushSink}, and the {@code ConvergenceTracker}. Resources are opaque
 * values read from a {@code ResourceSource}; versions are rendered by {@code Versions}.
 *
 * <p>May not touch: gRPC (no stubs, no {@code io.grpc} import, no protobuf message types; the
 * service layer in {@code server} and {@code xds} adapts streams to {@code PushSink}), the
 * registry and stores (it learns of changes only through {@code PushEngine.onChange} and reads
 * values only through {@code ResourceSource}), and metrics (they attach through {@code
 * ConvergenceListener}).
 */
package dev.vertice.controlplane.push;
