package dev.vertice.gateway.admin;

import java.util.List;
import java.util.Map;

/**
 * {@code AdminRequest} is a request to an {@link AdminRoute}. The request body, if any, is
 * discarded: admin routes take their input from the path and query.
 *
 * @param method the HTTP method, upper case
 * @param path the path without the query, for example {@code /gateway/health-check/orders}
 * @param remainder what follows the registered prefix (empty for an exact route), for example {@code orders}
 * @param query decoded query parameters
 * @param headers request headers, names in lower case, first value of each
 * @param requestId the request id (as in X-Request-Id) to put in error bodies
 */
public record AdminRequest(String method, String path, String remainder, Map<String, List<String>> query,
    Map<String, String> headers, String requestId) {

  /** {@code AdminRequest} copies the maps. */
  public AdminRequest {
    query = Map.copyOf(query);
    headers = Map.copyOf(headers);
  }

  /** {@code queryParam} returns the first value of query parameter {@code name}, or null. */
  public String queryParam(String name) {
    List<String> v = query.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }
}
