/** Demo services: an HTTP echo service and a gRPC variant with configurable latency, errors and health. */
package dev.vertice.demo;
