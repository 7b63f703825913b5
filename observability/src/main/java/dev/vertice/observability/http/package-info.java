/**
 * The small HTTP/1.1 server that Vertice's admin ports, demo services and the sidecar's local API
 * run on: {@link dev.vertice.observability.http.SmallHttpServer} (Netty; keep-alive, {@code
 * TCP_NODELAY}, optional TLS) with its limits in {@link
 * dev.vertice.observability.http.SmallHttpServerConfig}, answering through one {@link
 * dev.vertice.observability.http.HttpHandler}.
 *
 * <p>Not a framework: no routing, no streaming bodies, HTTP/1.1 only. What it guarantees is that a
 * slow, stalled or oversized request costs no thread and gets a clear answer (408, 413, 414, 431,
 * 503) instead of freezing the port.
 */
package dev.vertice.observability.http;
