/**
 * Gateway-local endpoints under {@code /gateway/}: a small registry other components mount routes
 * on ({@link dev.vertice.gateway.admin.AdminRoutes}), and the built-in routes and status pages.
 */
package dev.vertice.gateway.admin;
