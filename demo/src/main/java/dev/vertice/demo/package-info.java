/**
 * Demo services for trying Vertice out: an HTTP echo service ({@link dev.vertice.demo.EchoHttpServer})
 * and a gRPC variant ({@link dev.vertice.demo.EchoGrpcServer}) with configurable latency, errors,
 * version and health, configured by {@link dev.vertice.demo.DemoConfig} and run as a process by
 * the launcher's {@code demo} command; {@link dev.vertice.demo.SeedServices} names the services of
 * the dev mode.
 *
 * <p>Demo material: only the launcher's dev and cluster modes (and tests) use it, and it knows
 * nothing of the registry, the gateway or the control plane; an instance is registered by whoever
 * starts it (a sidecar, the launcher).
 */
package dev.vertice.demo;
