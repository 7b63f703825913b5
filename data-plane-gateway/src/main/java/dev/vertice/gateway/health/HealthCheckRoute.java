package dev.vertice.gateway.health;

import dev.vertice.gateway.admin.AdminRequest;
import dev.vertice.gateway.admin.AdminResponse;
import dev.vertice.gateway.admin.AdminRoute;
import dev.vertice.gateway.health.internal.JsonWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code HealthCheckRoute} serves {@code GET /gateway/health-check/{service}} from a {@link
 * HealthCheckService}: the report as JSON ({@link HealthReportJson}) with the request id added,
 * status 200 (SERVING, DEGRADED), 503 (NOT_SERVING), 404 (unknown service) or 400 (invalid name,
 * or no name). Other methods than GET and HEAD get 405. Answers are never cached by HTTP caches
 * ({@code Cache-Control: no-store}): the service's own layers decide freshness.
 */
public final class HealthCheckRoute implements AdminRoute {

  /** Where the route is mounted: every path below it names a service. */
  public static final String PATH = "/gateway/health-check/";

  private static final Map<String, String> NO_STORE = Map.of("Cache-Control", "no-store");

  private final HealthCheckService service;

  /** {@code HealthCheckRoute} answers from {@code service}. */
  public HealthCheckRoute(HealthCheckService service) {
    this.service = Objects.requireNonNull(service, "service");
  }

  @Override
  public CompletionStage<AdminResponse> handle(AdminRequest request) {
    if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
      return CompletableFuture.completedFuture(new AdminResponse(405, "application/json",
          Map.of("Allow", "GET, HEAD", "Cache-Control", "no-store"),
          error("method " + request.method() + " not allowed: GET " + PATH + "{service}", request.requestId())));
    }
    String name = request.remainder();
    if (name.isEmpty() || name.indexOf('/') >= 0) {
      return CompletableFuture.completedFuture(new AdminResponse(name.isEmpty() ? 400 : 404, "application/json",
          NO_STORE, error(name.isEmpty() ? "a service name is required: GET " + PATH + "{service}"
              : "no such path: " + request.path(), request.requestId())));
    }
    return service.check(name).thenApply(r -> new AdminResponse(r.httpStatus(), "application/json", NO_STORE,
        HealthReportJson.toJson(r, request.requestId()).getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] error(String message, String requestId) {
    String json = new JsonWriter().beginObject().name("error").value(message).name("request_id").value(requestId)
        .endObject().toString();
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
