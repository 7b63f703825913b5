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
 * HealthCheckService}, with the request id added, status 200 (SERVING, DEGRADED), 503
 * (NOT_SERVING), 404 (unknown service), 400 (invalid name, or no name) or 429 (no cached answer and
 * probing rate limited, with {@code Retry-After: 1}). Other methods than GET and HEAD get 405.
 * Answers are never cached by HTTP caches ({@code Cache-Control: no-store}): the service's own
 * layers decide freshness.
 *
 * <p>The {@link View} decides what the body tells: {@link View#SUMMARY} the aggregate status, layer
 * and age ({@link HealthReportJson#toSummaryJson}), for a public listener; {@link View#DETAIL} every
 * probed instance too ({@link HealthReportJson#toJson}), for an admin port.
 */
public final class HealthCheckRoute implements AdminRoute {

  /** Where the route is mounted: every path below it names a service. */
  public static final String PATH = "/gateway/health-check/";

  /** {@code View} is how much an answer tells. */
  public enum View {
    /** The service's aggregate status, the layer that answered and its age: no instance. */
    SUMMARY,
    /** The summary and each probed instance: id, address, port, protocol, version, status, latency. */
    DETAIL
  }

  private static final Map<String, String> NO_STORE = Map.of("Cache-Control", "no-store");
  private static final Map<String, String> RETRY_LATER = Map.of("Cache-Control", "no-store", "Retry-After", "1");

  private final HealthCheckService service;
  private final View view;

  /** {@code HealthCheckRoute} answers from {@code service} with {@code view}'s body. */
  public HealthCheckRoute(HealthCheckService service, View view) {
    this.service = Objects.requireNonNull(service, "service");
    this.view = Objects.requireNonNull(view, "view");
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
    return service.check(name).thenApply(r -> new AdminResponse(r.httpStatus(), "application/json",
        r.status() == HealthReport.Status.RATE_LIMITED ? RETRY_LATER : NO_STORE,
        body(r, request.requestId()).getBytes(StandardCharsets.UTF_8)));
  }

  /** {@code body} renders {@code report} as this route's view shows it. */
  public String body(HealthReport report, String requestId) {
    if (report.status() == HealthReport.Status.RATE_LIMITED) {
      return new JsonWriter().beginObject().name("request_id").value(requestId)
          .name("service").value(report.service()).name("status").value(report.status().name())
          .name("error").value("too many health probe rounds started in the last second; retry later")
          .endObject().toString();
    }
    return view == View.DETAIL ? HealthReportJson.toJson(report, requestId)
        : HealthReportJson.toSummaryJson(report, requestId);
  }

  private static byte[] error(String message, String requestId) {
    String json = new JsonWriter().beginObject().name("error").value(message).name("request_id").value(requestId)
        .endObject().toString();
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
