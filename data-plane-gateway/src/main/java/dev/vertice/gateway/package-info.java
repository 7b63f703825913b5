/**
 * The data-plane gateway: a Netty reverse proxy (HTTP/1.1, HTTP/2, gRPC) that routes every request
 * from the locally held snapshot the control plane pushed. {@link dev.vertice.gateway.Gateway}
 * assembles the parts (watch client, routing state, proxies, admin and health routes) from one
 * {@link dev.vertice.gateway.GatewayConfig}; the packages below own one concern each.
 *
 * <p>Command-line flags are not parsed here: the launcher maps them to {@code GatewayConfig}'s
 * builder. Nothing of the gateway is shared with the sidecar.
 */
package dev.vertice.gateway;
