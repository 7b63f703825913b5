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
  private final java.util.function.Consumer<ResponseStream> streamOpened;
  private final int maxBufferedBytes;

  private Response(int status, String contentType, byte[] body, List<Map.Entry<String, String>> headers) {
    this(status, contentType, body, headers, null, 0);
  }

  private Response(int status, String contentType, byte[] body, List<Map.Entry<String, String>> headers,
      java.util.function.Consumer<ResponseStream> streamOpened, int maxBufferedBytes) {
    if (status < 100 || status > 999) {
      throw new IllegalArgumentException("status must be in 100..999: " + status);
    }
    this.status = status;
    this.contentType = Objects.requireNonNull(contentType, "contentType");
    this.body = Objects.requireNonNull(body, "body");
    this.headers = headers;
    this.streamOpened = streamOpened;
    this.maxBufferedBytes = maxBufferedBytes;
  }

  /**
   * {@code stream} returns a streaming response: the server sends the status and headers with a
   * chunked body, then hands the open {@link ResponseStream} to {@code opened} (on the event loop:
   * it must not block), which sends text as it comes. The connection serves nothing else afterwards
   * and closes with the stream. At most {@code maxBufferedBytes} may wait to be written; beyond
   * that the client is cut off (see {@link ResponseStream}).
   */
  public static Response stream(int status, String contentType, int maxBufferedBytes,
      java.util.function.Consumer<ResponseStream> opened) {
    if (maxBufferedBytes <= 0) {
      throw new IllegalArgumentException("maxBufferedBytes must be positive: " + maxBufferedBytes);
    }
    return new Response(status, contentType, new byte[0], List.of(), Objects.requireNonNull(opened, "opened"),
        maxBufferedBytes);
  }

  /** {@code isStream} says whether this is a streaming response ({@link #stream}). */
  public boolean isStream() {
    return streamOpened != null;
  }

  /** {@code streamOpened} is what a streaming response hands its open stream to; null otherwise. */
  java.util.function.Consumer<ResponseStream> streamOpened() {
    return streamOpened;
  }

  /** {@code maxBufferedBytes} is a streaming response's limit of bytes waiting to be written; 0 otherwise. */
  int maxBufferedBytes() {
    return maxBufferedBytes;
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
    return new Response(status, contentType, body, Collections.unmodifiableList(h), streamOpened, maxBufferedBytes);
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
