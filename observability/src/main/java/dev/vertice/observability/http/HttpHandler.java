package dev.vertice.observability.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * {@code HttpHandler} answers the requests of a {@link SmallHttpServer}.
 *
 * <p>{@link #handle} is called on the connection's event loop, one request at a time per
 * connection (pipelined requests wait their turn, and are answered in order). It must not block:
 * a handler that may block (a lock held elsewhere, I/O, a slow computation) runs on an executor
 * through {@link #offloaded}; one that answers later completes the stage then (see {@link
 * Request#scheduler()}). A handler that throws, or whose stage fails, gets 500 with {@code
 * {"error":"internal error"}} and nothing more: no stack trace leaves the process.
 */
@FunctionalInterface
public interface HttpHandler {

  /** {@code handle} returns the answer to {@code request}, now or later. Called on the event loop. */
  CompletionStage<Response> handle(Request request);

  /** {@code direct} returns a handler that answers on the event loop with {@code answer}, which must not block. */
  static HttpHandler direct(Function<Request, Response> answer) {
    return request -> CompletableFuture.completedFuture(answer.apply(request));
  }

  /**
   * {@code offloaded} returns a handler that answers with {@code answer} on {@code executor}. When
   * the executor refuses the task the client gets 503 with {@code {"error":"busy"}}.
   */
  static HttpHandler offloaded(Executor executor, Function<Request, Response> answer) {
    return request -> {
      try {
        return CompletableFuture.supplyAsync(() -> answer.apply(request), executor);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return CompletableFuture.completedFuture(Response.json(503, "{\"error\":\"busy\"}"));
      }
    };
  }
}
