package dev.vertice.observability.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code Response} is what a {@link HttpHandler} answers: a status, a content type, a body and any
 * further headers. {@link SmallHttpServer} adds {@code Content-Length} and {@code Connection}.
 * Immutable; {@link #withHeader} returns a copy.
 */
public final class Response {

  /** The content type of {@link #json}: {@code application/json}. */
  public static final String JSON = "application/json";

  private final int status;
  private final String contentType;
  private final byte[] body;
  private final List<Map.Entry<String, String>> headers;

  private Response(int status, String contentType, byte[] body, List<Map.Entry<String, String>> headers) {
    if (status < 100 || status > 999) {
      throw new IllegalArgumentException("status must be in 100..999: " + status);
    }
    this.status = status;
    this.contentType = Objects.requireNonNull(contentType, "contentType");
    this.body = Objects.requireNonNull(body, "body");
    this.headers = headers;
  }

  /** {@code of} returns a response with {@code body} (the array is not copied: do not change it). */
  public static Response of(int status, String contentType, byte[] body) {
    return new Response(status, contentType, body, List.of());
  }

  /** {@code of} returns a response with {@code body} encoded as UTF-8. */
  public static Response of(int status, String contentType, String body) {
    return of(status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code json} returns an {@code application/json} response with {@code body}. */
  public static Response json(int status, String body) {
    return of(status, JSON, body);
  }

  /** {@code withHeader} returns a copy with header {@code name: value} added. */
  public Response withHeader(String name, String value) {
    List<Map.Entry<String, String>> h = new ArrayList<>(headers);
    h.add(Map.entry(name, value));
    return new Response(status, contentType, body, Collections.unmodifiableList(h));
  }

  /** {@code status} is the HTTP status code. */
  public int status() {
    return status;
  }

  /** {@code contentType} is the {@code Content-Type} header. */
  public String contentType() {
    return contentType;
  }

  /** {@code body} is the body (not a copy: do not change it). */
  public byte[] body() {
    return body;
  }

  /** {@code headers} are the headers added with {@link #withHeader}, in order. */
  public List<Map.Entry<String, String>> headers() {
    return headers;
  }
}
