package dev.vertice.gateway.admin;

import java.util.concurrent.CompletionStage;

/**
 * {@code AdminRoute} answers one family of gateway-local paths ({@code /gateway/...}), served by
 * the gateway itself instead of being proxied. Register it with {@link AdminRoutes#register}.
 *
 * <p>{@link #handle} is called on a Netty event loop: it must not block. Return a completed stage
 * for answers from memory, or complete it later from any thread (the response is written on the
 * connection's event loop).
 */
@FunctionalInterface
public interface AdminRoute {

  /** {@code handle} answers {@code request}. */
  CompletionStage<AdminResponse> handle(AdminRequest request);
}
