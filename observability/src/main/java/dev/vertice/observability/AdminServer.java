package dev.vertice.observability;

import dev.vertice.common.JsonStrings;
import dev.vertice.common.Threads;
import dev.vertice.observability.http.HttpHandler;
import dev.vertice.observability.http.Request;
import dev.vertice.observability.http.SmallHttpServer;
import dev.vertice.observability.http.SmallHttpServerConfig;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * {@code AdminServer} is a process's admin HTTP port: {@code GET /metrics} (Prometheus text
 * format), {@code GET /healthz} (200 when the process is ready, 503 when not), and any read-only
 * JSON routes a component adds before {@link #start}.
 *
 * <p>It runs on a {@link SmallHttpServer} with {@link #DEFAULT_CONFIG}: one event-loop thread
 * ({@code admin-http-*}) that never waits on a client, so slow or stalled connections cannot hold
 * {@code /healthz} or {@code /metrics}; routes run on at most {@value #ROUTE_THREADS} threads of
 * their own ({@code admin-route-*}, ended when idle) since a route may block, with at most {@value
 * #ROUTE_QUEUE} requests waiting (503 beyond). Other paths answer 404 and other methods 405, both
 * with a JSON body. A component that needs the whole request, other methods or a streaming answer
 * (the control plane's web console) adds a {@link #handler} instead of a route.
 */
public final class AdminServer implements AutoCloseable {

  /**
   * The admin port's limits: {@link SmallHttpServerConfig}'s defaults (10 s to send a request, 60 s
   * idle, one event-loop thread) with at most 64 connections and 1 KiB bodies, admin routes being
   * read-only.
   */
  public static final SmallHttpServerConfig DEFAULT_CONFIG = SmallHttpServerConfig.custom().name("admin-http")
      .maxConnections(64).maxBodyBytes(1024).build();
  /** Most threads running admin routes at once. */
  public static final int ROUTE_THREADS = 2;
  /** Most admin requests waiting for a route thread (503 beyond). */
  public static final int ROUTE_QUEUE = 64;

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

  private final ThreadPoolExecutor executor;
  private final Map<String, Route> routes = new LinkedHashMap<>();
  private final Map<String, HttpHandler> handlers = new LinkedHashMap<>();
  /** Set once, by {@code bind}, before the instance is returned. */
  private SmallHttpServer server;

  private AdminServer() {
    this.executor = new ThreadPoolExecutor(ROUTE_THREADS, ROUTE_THREADS, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(ROUTE_QUEUE), Threads.daemon("admin-route"));
    executor.allowCoreThreadTimeOut(true);
  }

  /**
   * Binds the admin port; routes may be added until {@link #start}.
   *
   * @param host the address to listen on
   * @param port the port, 0 for a free one
   * @param metrics what {@code /metrics} serves
   * @param ready what {@code /healthz} reports
   */
  public static AdminServer bind(String host, int port, MetricsSource metrics, BooleanSupplier ready)
      throws IOException {
    return bind(host, port, metrics, ready, null);
  }

  /**
   * Binds the admin port like {@link #bind(String, int, MetricsSource, BooleanSupplier)}, serving HTTPS
   * with {@code tls} when it is not null (plain HTTP otherwise).
   *
   * @param tls the TLS context of the listener (for example a reloading one), or null
   */
  public static AdminServer bind(String host, int port, MetricsSource metrics, BooleanSupplier ready,
      SSLContext tls) throws IOException {
    return bind(host, port, metrics, ready, tls, DEFAULT_CONFIG);
  }

  /**
   * Binds the admin port like {@link #bind(String, int, MetricsSource, BooleanSupplier, SSLContext)}
   * with the limits of {@code config} instead of {@link #DEFAULT_CONFIG}.
   */
  public static AdminServer bind(String host, int port, MetricsSource metrics, BooleanSupplier ready,
      SSLContext tls, SmallHttpServerConfig config) throws IOException {
    return bind(host, port, metrics, ready, tls, config, null);
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

  /**
   * Binds the admin port like {@link #bind(String, int, MetricsSource, BooleanSupplier, SSLContext,
   * SmallHttpServerConfig)}, serving HTTPS with an engine from {@code tlsEngines} per connection (for
   * example one that asks for a client certificate), plain HTTP when it is null.
   */
  public static AdminServer bindWithEngines(String host, int port, MetricsSource metrics, BooleanSupplier ready,
      Supplier<javax.net.ssl.SSLEngine> tlsEngines, SmallHttpServerConfig config) throws IOException {
    return bind(host, port, metrics, ready, null, config, tlsEngines);
  }

  private static AdminServer bind(String host, int port, MetricsSource metrics, BooleanSupplier ready,
      SSLContext tls, SmallHttpServerConfig config, Supplier<javax.net.ssl.SSLEngine> tlsEngines) throws IOException {
    AdminServer admin = new AdminServer();
    admin.route("/metrics", path -> new Response(200, PROMETHEUS_TEXT, metrics.scrape()));
    admin.route("/healthz", path -> ready.getAsBoolean()
        ? Response.json(200, "{\"status\":\"ok\"}")
        : Response.json(503, "{\"status\":\"not ready\"}"));
    try {
      SmallHttpServer.Builder b = SmallHttpServer.builder(host, port, admin.dispatcher()).config(config);
      admin.server = (tlsEngines != null ? b.tlsEngines(tlsEngines) : b.tls(tls)).bind();
    } catch (IOException e) {
      admin.executor.shutdownNow();
      throw e;
    }
    return admin;
  }

  /**
   * Adds a handler of every method under {@code prefix} (which ends with {@code /}, or matches
   * exactly): it gets the whole {@link Request} and answers on the event loop as {@link HttpHandler}
   * says (offloading what may block), so that it may stream ({@link
   * dev.vertice.observability.http.Response#stream}). Handlers are looked up before routes.
   */
  public AdminServer handler(String prefix, HttpHandler handler) {
    synchronized (routes) {
      handlers.put(prefix, java.util.Objects.requireNonNull(handler, "handler"));
    }
    return this;
  }

  /** Returns the executor of the admin routes (bounded: it refuses work when full), for handlers that offload. */
  public java.util.concurrent.Executor routeExecutor() {
    return executor;
  }

  /** Returns the limits the port runs with. */
  public SmallHttpServerConfig config() {
    return server.config();
  }

  private HttpHandler dispatcher() {
    HttpHandler routed = HttpHandler.offloaded(executor, this::handle);
    return request -> {
      HttpHandler h = findHandler(request.path());
      return h != null ? h.handle(request) : routed.handle(request);
    };
  }

  private HttpHandler findHandler(String path) {
    synchronized (routes) {
      HttpHandler exact = handlers.get(path);
      if (exact != null) {
        return exact;
      }
      for (Map.Entry<String, HttpHandler> e : handlers.entrySet()) {
        if (e.getKey().endsWith("/") && path.startsWith(e.getKey())) {
          return e.getValue();
        }
      }
      return null;
    }
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
    return server.port();
  }

  private dev.vertice.observability.http.Response handle(Request request) {
    String path = request.path();
    Route route = find(path);
    Response response;
    String allow = null;
    if (route == null) {
      response = Response.json(404, "{\"error\":\"not found\",\"path\":" + JsonStrings.quote(path) + "}");
    } else if (!"GET".equals(request.method()) && !"HEAD".equals(request.method())) {
      allow = "GET, HEAD";
      response = Response.json(405, "{\"error\":\"method not allowed\"}");
    } else {
      try {
        response = route.handle(path);
      } catch (RuntimeException e) {
        // No stack trace leaves the process: the admin port may be reachable by more people than the logs.
        response = Response.json(500, "{\"error\":\"internal error\"}");
      }
    }
    dev.vertice.observability.http.Response r = dev.vertice.observability.http.Response.of(response.status(),
        response.contentType(), response.body()).withHeader("Cache-Control", "no-store");
    return allow == null ? r : r.withHeader("Allow", allow);
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
    server.close();
    executor.shutdownNow();
  }
}
