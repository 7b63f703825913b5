/**
 * The control plane's live web console, served under {@code /ui/} on its admin port: {@link Console}
 * (static pages, the JSON API under {@code /ui/api/}, admin actions), {@link ConsoleEvents} (the
 * server-sent events that keep the pages live, fed by a listener on the registry view and the
 * rollout store), {@link ConvergenceWindow} (recent convergence figures) and {@link ConsoleConfig}.
 *
 * <p>It reads the control plane ({@code dev.vertice.controlplane}) and runs on the admin port's
 * {@code SmallHttpServer} ({@code dev.vertice.observability}); identities are decided by {@code
 * dev.vertice.security.auth} exactly as for gRPC. Nothing in the control plane imports this package.
 */
package dev.vertice.console;
