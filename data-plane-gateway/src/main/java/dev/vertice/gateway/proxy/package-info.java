/**
 * The gateway's HTTP proxy on Netty: {@link dev.vertice.gateway.proxy.HttpProxyServer} (listener,
 * TLS, HTTP/2, connection limits, drain), one {@code ProxyHandler} per client connection or stream
 * (framing, limits and smuggling defences, pipelining, local answers) and one {@code Exchange} per
 * proxied request (attempts, retries and retry budget, breakers, streaming both ways, stats and
 * tracing), over pooled upstream connections ({@code UpstreamPools}).
 *
 * <p>Everything of one connection runs on its event loop. Instances are picked only through
 * {@link dev.vertice.gateway.routing.Router}; outcomes go out through
 * {@link dev.vertice.gateway.proxy.StatsSink} and {@link dev.vertice.gateway.proxy.ProxyObserver},
 * which must not block.
 */
package dev.vertice.gateway.proxy;
