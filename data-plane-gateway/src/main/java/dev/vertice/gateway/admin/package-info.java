/**
 * Gateway-local endpoints under {@code /gateway/}: a small registry other components mount routes
 * on ({@link dev.vertice.gateway.admin.AdminRoutes}), and the built-in routes and status pages
 * ({@link dev.vertice.gateway.admin.BuiltinRoutes}).
 *
 * <p>Routes see an {@link dev.vertice.gateway.admin.AdminRequest} and answer an
 * {@link dev.vertice.gateway.admin.AdminResponse}: they know nothing of Netty, and they only read
 * the routing state and the watch client, never change them.
 */
package dev.vertice.gateway.admin;
