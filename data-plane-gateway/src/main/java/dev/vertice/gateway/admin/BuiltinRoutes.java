package dev.vertice.gateway.admin;

import dev.vertice.client.WatchClient;
import dev.vertice.common.JsonStrings;
import dev.vertice.gateway.balancer.Endpoint;
import dev.vertice.gateway.resilience.InstanceGuard;
import dev.vertice.gateway.routing.RoutingState;
import dev.vertice.gateway.routing.RoutingTable;
import dev.vertice.gateway.routing.ServiceRoute;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * {@code BuiltinRoutes} are the gateway's own admin pages: {@code GET /gateway/routes} (the routing
 * table as JSON) and {@code GET /gateway/status} (snapshot generation, staleness, control-plane
 * connection, traffic counters). Both answer from memory. They name every instance's address, so
 * the gateway mounts them on its public listener only when asked to ({@code
 * Gateway.Builder#exposeStatusPages}); the launcher serves them on the admin port.
 */
public final class BuiltinRoutes {

  private BuiltinRoutes() {}

  /** {@code Counters} are the proxy's live numbers shown by the status page. */
  public interface Counters {
    /** Requests being proxied now. */
    int inFlight();

    /** Client connections open now. */
    int connections();

    /** Requests received since start. */
    long requests();

    /** Retries made since start. */
    long retries();
  }

  /** {@code register} mounts the routes and status pages on {@code routes}. */
  public static void register(AdminRoutes routes, RoutingState state, WatchClient watch,
      Supplier<Counters> counters) {
    routes.register("/gateway/routes", r -> CompletableFuture.completedFuture(
        AdminResponse.json(200, routesJson(state.table()))));
    routes.register("/gateway/status", r -> CompletableFuture.completedFuture(
        AdminResponse.json(200, statusJson(state.table(), watch, counters.get()))));
  }

  /** {@code routesJson} renders {@code table}: per service, its HTTP and gRPC subsets and instances. */
  public static String routesJson(RoutingTable table) {
    StringBuilder b = new StringBuilder(256).append("{\"generation\":").append(table.generation())
        .append(",\"services\":{");
    Map<String, Boolean> names = new TreeMap<>();
    table.known().forEach(n -> names.put(n, true));
    boolean first = true;
    for (String name : names.keySet()) {
      if (!first) {
        b.append(',');
      }
      first = false;
      b.append(JsonStrings.quote(name)).append(":{");
      ServiceRoute http = table.http().get(name);
      ServiceRoute grpc = table.grpc().get(name);
      ServiceRoute any = http != null ? http : grpc;
      b.append("\"endpoints_version\":").append(JsonStrings.quote(any == null ? null : any.endpointsVersion()))
          .append(",\"policy_version\":").append(JsonStrings.quote(any == null ? null : any.policyVersion()))
          .append(",\"http\":");
      route(b, http);
      b.append(",\"grpc\":");
      route(b, grpc);
      b.append('}');
    }
    return b.append("}}\n").toString();
  }

  private static void route(StringBuilder b, ServiceRoute r) {
    b.append('[');
    if (r != null) {
      boolean first = true;
      for (ServiceRoute.Subset s : r.subsets()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        b.append("{\"version\":").append(JsonStrings.quote(s.version())).append(",\"weight\":").append(s.weight())
            .append(",\"instances\":[");
        boolean firstI = true;
        for (Endpoint e : s.picker().endpoints()) {
          if (!firstI) {
            b.append(',');
          }
          firstI = false;
          InstanceGuard g = RoutingState.instanceGuard(e);
          b.append("{\"id\":").append(JsonStrings.quote(e.instanceId()))
              .append(",\"address\":").append(JsonStrings.quote(e.key().hostPort()))
              .append(",\"version\":").append(JsonStrings.quote(e.version()))
              .append(",\"weight\":").append(e.weight())
              .append(",\"active\":").append(e.active())
              .append(",\"breaker\":").append(JsonStrings.quote(g.breakerState().name()))
              .append(",\"ejected\":").append(g.isEjected())
              .append('}');
        }
        b.append("]}");
      }
    }
    b.append(']');
  }

  /** {@code statusJson} renders the gateway's status. */
  public static String statusJson(RoutingTable table, WatchClient watch, Counters c) {
    StringBuilder b = new StringBuilder(256).append("{\"snapshot_generation\":").append(table.generation())
        .append(",\"services\":").append(table.known().size());
    if (watch == null) {
      b.append(",\"control_plane\":null");
    } else {
      b.append(",\"control_plane\":{\"connected\":").append(watch.isConnected())
          .append(",\"synced\":").append(watch.isSynced())
          .append(",\"address\":").append(JsonStrings.quote(watch.connectedTo().orElse(null)))
          .append(",\"staleness_seconds\":").append(watch.staleness().toNanos() / 1e9)
          .append(",\"responses\":").append(watch.responsesReceived())
          .append(",\"nacks\":").append(watch.nacksSent())
          .append('}');
    }
    if (c != null) {
      b.append(",\"in_flight\":").append(c.inFlight())
          .append(",\"connections\":").append(c.connections())
          .append(",\"requests\":").append(c.requests())
          .append(",\"retries\":").append(c.retries());
    }
    return b.append("}\n").toString();
  }
}
