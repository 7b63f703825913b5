/** The data-plane gateway: a Netty reverse proxy that routes from the pushed local snapshot. */
package dev.vertice.gateway;
