/**
 * Plumbing of the sidecar, not API: the HTTP and gRPC health probes and their tracker, the small
 * HTTP GET client, the local API's JSON writing, and the one shared Netty event loop of the process.
 * Used by {@code dev.vertice.sidecar} only.
 */
package dev.vertice.sidecar.internal;
