package dev.vertice.gateway.admin;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * {@code AdminResponse} is the answer of an {@link AdminRoute}: a status, a content type, extra
 * headers and a body written whole.
 *
 * @param status the HTTP status
 * @param contentType the Content-Type
 * @param headers extra response headers
 * @param body the body bytes (not copied: do not modify after handing over)
 */
public record AdminResponse(int status, String contentType, Map<String, String> headers, byte[] body) {

  /** {@code AdminResponse} checks its parts. */
  public AdminResponse {
    Objects.requireNonNull(contentType, "contentType");
    headers = Map.copyOf(headers);
    Objects.requireNonNull(body, "body");
  }

  /** {@code json} returns a JSON response with {@code status} and the UTF-8 bytes of {@code json}. */
  public static AdminResponse json(int status, String json) {
    return new AdminResponse(status, "application/json", Map.of(), json.getBytes(StandardCharsets.UTF_8));
  }
}
