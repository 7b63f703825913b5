package dev.vertice.gateway.admin;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code AdminRoutes} is the registry of gateway-local paths: requests whose path is under {@link
 * #PREFIX} are answered by the registered {@link AdminRoute} instead of being proxied (a service
 * cannot be named {@code gateway} through the default path routing).
 *
 * <p>A route is registered for an exact path ({@code /gateway/routes}) or, when the path ends with
 * {@code /}, for every path below it ({@code /gateway/health-check/}); exact paths win, then the
 * longest prefix. Thread-safe; routes may be added while the gateway runs.
 */
public final class AdminRoutes {

  /** Every admin path starts with this. */
  public static final String PREFIX = "/gateway/";

  private final Map<String, AdminRoute> exact = new ConcurrentHashMap<>();
  private final Map<String, AdminRoute> prefixes = new ConcurrentHashMap<>();

  /**
   * {@code register} mounts {@code route} at {@code path}: exact, or a prefix when it ends with
   * {@code /}. Replaces a route registered at the same path.
   *
   * @throws IllegalArgumentException when the path is not under {@link #PREFIX}
   */
  public void register(String path, AdminRoute route) {
    Objects.requireNonNull(route, "route");
    if (path == null || !path.startsWith(PREFIX) || path.length() == PREFIX.length()) {
      throw new IllegalArgumentException("admin route path must be below " + PREFIX + ": '" + path + "'");
    }
    if (path.endsWith("/")) {
      prefixes.put(path, route);
    } else {
      exact.put(path, route);
    }
  }

  /**
   * {@code Match} is a route found for a path.
   *
   * @param route the route
   * @param remainder the part of the path after the registered prefix (empty for exact routes)
   */
  public record Match(AdminRoute route, String remainder) {}

  /** {@code find} returns the route for {@code path} (no query), or null. */
  public Match find(String path) {
    AdminRoute r = exact.get(path);
    if (r != null) {
      return new Match(r, "");
    }
    String best = null;
    for (String p : prefixes.keySet()) {
      if (path.startsWith(p) && (best == null || p.length() > best.length())) {
        best = p;
      }
    }
    return best == null ? null : new Match(prefixes.get(best), path.substring(best.length()));
  }
}
