/**
 * {@code ./vertice bench}: the benchmarks (push, register, memory, gateway against nginx, observers,
 * JMH microbenchmarks) and their helpers (ports, report tables and JSON, wrk, h2load and nginx
 * runners, an upstream server, the gRPC unary calls of the demo service: {@code GrpcUnary}).
 *
 * <p>Benchmarks drive the product through its public entry points; nothing in a component depends on
 * this package.
 */
package dev.vertice.bench;
