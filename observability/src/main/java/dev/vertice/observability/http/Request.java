package dev.vertice.observability.http;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code Request} is one complete HTTP request as a {@link SmallHttpServer} hands it to its {@link
 * HttpHandler}: the whole body is read (at most {@link SmallHttpServerConfig#maxBodyBytes()}) before
 * the handler sees it. Immutable once made; the body array is the request's own.
 */
public final class Request {

  private final String method;
  private final String uri;
  private final String path;
  private final Map<String, String> headers;
  private final byte[] body;
  private final InetSocketAddress remoteAddress;
  private final ScheduledExecutorService scheduler;
  private final javax.net.ssl.SSLSession tlsSession;

  Request(String method, String uri, String path, Map<String, String> headers, byte[] body,
      InetSocketAddress remoteAddress, ScheduledExecutorService scheduler, javax.net.ssl.SSLSession tlsSession) {
    this.method = method;
    this.uri = uri;
    this.path = path;
    this.headers = headers;
    this.body = body;
    this.remoteAddress = remoteAddress;
    this.scheduler = scheduler;
    this.tlsSession = tlsSession;
  }

  /**
   * {@code tlsSession} is the connection's TLS session (its peer certificates identify a client that
   * presented one), or null over plain HTTP.
   */
  public javax.net.ssl.SSLSession tlsSession() {
    return tlsSession;
  }

  /** {@code method} is the request method as sent ({@code GET}, {@code POST}...). */
  public String method() {
    return method;
  }

  /** {@code uri} is the request target as sent (path and query, still percent-encoded). */
  public String uri() {
    return uri;
  }

  /** {@code path} is the decoded path of the target, without the query. */
  public String path() {
    return path;
  }

  /** {@code header} returns the first value of header {@code name} (any case), or null. */
  public String header(String name) {
    return headers.get(name.toLowerCase(java.util.Locale.ROOT));
  }

  /** {@code body} returns the body bytes (empty when there is none); the caller may keep the array. */
  public byte[] body() {
    return body;
  }

  /** {@code bodyText} returns the body decoded as UTF-8. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** {@code remoteAddress} is the client's address. */
  public InetSocketAddress remoteAddress() {
    return remoteAddress;
  }

  /**
   * {@code scheduler} is the connection's event loop, for answers that come later without holding a
   * thread (a delay, a timeout). Tasks run on the event loop: they must not block.
   */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }
}
