/** The gateway's gRPC proxy: any method, unary and streaming, relayed as bytes. */
package dev.vertice.gateway.grpc;
