package dev.vertice.observability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.vertice.common.Threads;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * {@code AdminServer} is a process's admin HTTP port: {@code GET /metrics} (Prometheus text
 * format), {@code GET /healthz} (200 when the process is ready, 503 when not), and any read-only
 * JSON routes a component adds before {@link #start}.
 *
 * <p>It runs on two daemon threads of its own, apart from the component's request path. Other
 * paths answer 404 and other methods 405, both with a JSON body.
 */
public final class AdminServer implements AutoCloseable {

  /** {@code Route} answers one admin path with a JSON body. */
  @FunctionalInterface
  public interface Route {
    /** Returns the response for {@code path} (the full request path). */
    Response handle(String path);
  }

  /**
   * {@code Response} is an admin answer.
   *
   * @param status HTTP status code
   * @param contentType the Content-Type header
   * @param body the body
   */
  public record Response(int status, String contentType, String body) {

    /** Returns a JSON response. */
    public static Response json(int status, String body) {
      return new Response(status, "application/json", body);
    }
  }

  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Route> routes = new LinkedHashMap<>();

  private AdminServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds the admin port; routes may be added until {@link #start}.
   *
   * @param host the address to listen on
   * @param port the port, 0 for a free one
   * @param metrics what {@code /metrics} serves
   * @param ready what {@code /healthz} reports
   */
  public static AdminServer bind(String host, int port, Metrics metrics, BooleanSupplier ready) throws IOException {
    return bind(host, port, metrics, ready, null);
  }

  /**
   * Binds the admin port like {@link #bind(String, int, Metrics, BooleanSupplier)}, serving HTTPS
   * with {@code tls} when it is not null (plain HTTP otherwise).
   *
   * @param tls the TLS context of the listener (for example a reloading one), or null
   */
  public static AdminServer bind(String host, int port, Metrics metrics, BooleanSupplier ready, SSLContext tls)
      throws IOException {
    HttpServer server;
    if (tls == null) {
      server = HttpServer.create(new InetSocketAddress(host, port), 64);
    } else {
      HttpsServer https = HttpsServer.create(new InetSocketAddress(host, port), 64);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = https;
    }
    ExecutorService executor = Executors.newFixedThreadPool(2, Threads.daemon("admin-http"));
    server.setExecutor(executor);
    AdminServer admin = new AdminServer(server, executor);
    admin.route("/metrics", path -> new Response(200, PROMETHEUS_TEXT, metrics.scrape()));
    admin.route("/healthz", path -> ready.getAsBoolean()
        ? Response.json(200, "{\"status\":\"ok\"}")
        : Response.json(503, "{\"status\":\"not ready\"}"));
    server.createContext("/", admin::handle);
    return admin;
  }

  /**
   * Adds a route: {@code prefix} matches the path exactly, or as a prefix when it ends with
   * {@code /}.
   */
  public AdminServer route(String prefix, Route route) {
    synchronized (routes) {
      routes.put(prefix, route);
    }
    return this;
  }

  /** Adds a JSON route computed on every request. */
  public AdminServer json(String path, Supplier<String> body) {
    return route(path, p -> Response.json(200, body.get()));
  }

  /** Starts serving. */
  public AdminServer start() {
    server.start();
    return this;
  }

  /** Returns the bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      Route route = find(path);
      Response response;
      if (route == null) {
        response = Response.json(404, "{\"error\":\"not found\",\"path\":" + dev.vertice.common.JsonStrings.quote(path) + "}");
      } else if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        response = Response.json(405, "{\"error\":\"method not allowed\"}");
      } else {
        try {
          response = route.handle(path);
        } catch (RuntimeException e) {
          // No stack trace leaves the process: the admin port may be reachable by more people than the logs.
          response = Response.json(500, "{\"error\":\"internal error\"}");
        }
      }
      byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", response.contentType());
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      boolean head = "HEAD".equals(exchange.getRequestMethod());
      exchange.sendResponseHeaders(response.status(), head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  private Route find(String path) {
    synchronized (routes) {
      Route exact = routes.get(path);
      if (exact != null) {
        return exact;
      }
      for (Map.Entry<String, Route> e : routes.entrySet()) {
        if (e.getKey().endsWith("/") && path.startsWith(e.getKey())) {
          return e.getValue();
        }
      }
      return null;
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
