package dev.vertice.demo;

import dev.vertice.common.JsonStrings;
import dev.vertice.observability.http.HttpEventLoops;
import dev.vertice.observability.http.Request;
import dev.vertice.observability.http.Response;
import dev.vertice.observability.http.SmallHttpServer;
import dev.vertice.observability.http.SmallHttpServerConfig;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code EchoHttpServer} is the demo HTTP service, on Vertice's small Netty HTTP server ({@link
 * SmallHttpServer}).
 *
 * <ul>
 *   <li>any method and path not below: 200 with {@code {"service","instance","version","method",
 *       "path"}}, after the configured latency; at the configured error rate 500 with {@code
 *       {"error":"injected error",...}} instead;
 *   <li>{@code GET /health}: 200 {@code {"status":"SERVING"}}, or 503 {@code
 *       {"status":"NOT_SERVING"}} while the switch is off;
 *   <li>{@code POST /admin/health} with {@code {"serving":true|false}}: flips the switch (400 for
 *       another body, 413 beyond {@value #MAX_ADMIN_BODY_BYTES} bytes);
 *   <li>{@code GET /admin/inflight}: {@code {"inflight":N}}, the echoes being served now (the
 *       sidecar can end its drain early once this reaches zero).
 * </ul>
 *
 * <p>Cheap enough to run dozens in one JVM: every instance shares {@value #EVENT_LOOP_THREADS}
 * event-loop threads ({@code demo-http-*}, daemon). Nothing blocks them: the latency is a timer on
 * the event loop, not a sleeping thread. Limits: {@link #SERVER_CONFIG}.
 */
public final class EchoHttpServer implements DemoService {

  /** Event-loop threads shared by every instance in the JVM. */
  public static final int EVENT_LOOP_THREADS = 2;
  /** Largest body accepted by the admin endpoint. */
  public static final int MAX_ADMIN_BODY_BYTES = 1024;
  /**
   * The server's limits: the request line, headers and body the gateway forwards by default (8 KiB,
   * 16 KiB, 10 MiB; bodies are read and dropped), 1024 connections, 10 s to send a request, 60 s
   * idle.
   */
  public static final SmallHttpServerConfig SERVER_CONFIG = SmallHttpServerConfig.custom().name("demo-http")
      .eventLoopThreads(EVENT_LOOP_THREADS).maxConnections(1024).maxInitialLineBytes(8192).maxHeaderBytes(16384)
      .maxBodyBytes(10 << 20).build();

  private static final Pattern SERVING = Pattern.compile("\\A\\s*\\{\\s*\"serving\"\\s*:\\s*(true|false)\\s*}\\s*\\z");
  private static final HttpEventLoops SHARED = HttpEventLoops.create(SERVER_CONFIG.name(), EVENT_LOOP_THREADS);

  private final DemoConfig config;
  private final SmallHttpServer server;
  private final Random random;
  private final String identity;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean serving = true;

  private EchoHttpServer(DemoConfig config) throws IOException {
    this.config = config;
    this.random = new Random(config.seed());
    this.identity = "\"service\":" + JsonStrings.quote(config.service()) + ",\"instance\":"
        + JsonStrings.quote(config.instanceId()) + ",\"version\":" + JsonStrings.quote(config.version());
    this.server = SmallHttpServer.builder(config.host(), config.port(), this::handle).config(SERVER_CONFIG)
        .eventLoops(SHARED).bind().start();
  }

  /**
   * {@code start} binds and starts an instance.
   *
   * @throws IOException when the address cannot be bound
   */
  public static EchoHttpServer start(DemoConfig config) throws IOException {
    return new EchoHttpServer(config);
  }

  @Override
  public DemoConfig config() {
    return config;
  }

  @Override
  public int port() {
    return server.port();
  }

  @Override
  public String protocol() {
    return "http";
  }

  @Override
  public boolean serving() {
    return serving;
  }

  @Override
  public void setServing(boolean serving) {
    this.serving = serving;
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public void close() {
    server.close();
  }

  /** Runs on the event loop: nothing here blocks. */
  private CompletionStage<Response> handle(Request r) {
    String path = r.path();
    String method = r.method();
    if (path.equals("/health") && method.equals("GET")) {
      boolean up = serving;
      return now(Response.json(up ? 200 : 503, "{\"status\":\"" + (up ? "SERVING" : "NOT_SERVING") + "\"}"));
    } else if (path.equals("/admin/health") && method.equals("POST")) {
      return now(adminHealth(r));
    } else if (path.equals("/admin/inflight") && method.equals("GET")) {
      return now(Response.json(200, "{\"inflight\":" + inFlight.get() + "}"));
    }
    inFlight.incrementAndGet();
    if (config.latency().isZero()) {
      return now(echo(method, path));
    }
    CompletableFuture<Response> later = new CompletableFuture<>();
    r.scheduler().schedule(() -> {
      later.complete(echo(method, path));
    }, config.latency().toNanos(), TimeUnit.NANOSECONDS);
    return later;
  }

  private static CompletionStage<Response> now(Response r) {
    return CompletableFuture.completedFuture(r);
  }

  private Response adminHealth(Request r) {
    if (r.body().length > MAX_ADMIN_BODY_BYTES) {
      return Response.json(413, "{\"error\":\"body larger than " + MAX_ADMIN_BODY_BYTES + " bytes\"}");
    }
    Matcher m = SERVING.matcher(r.bodyText());
    if (!m.matches()) {
      return Response.json(400, "{\"error\":\"expected {\\\"serving\\\":true} or {\\\"serving\\\":false}\"}");
    }
    serving = Boolean.parseBoolean(m.group(1));
    return Response.json(200, "{\"serving\":" + serving + "}");
  }

  /** The echo's answer; it leaves the in-flight count as the answer goes out. */
  private Response echo(String method, String path) {
    try {
      boolean fail;
      synchronized (random) {
        fail = config.errorRate() > 0 && random.nextDouble() < config.errorRate();
      }
      if (fail) {
        return Response.json(500, "{\"error\":\"injected error\"," + identity + "}");
      }
      return Response.json(200, "{" + identity + ",\"method\":" + JsonStrings.quote(method) + ",\"path\":"
          + JsonStrings.quote(path) + "}");
    } finally {
      inFlight.decrementAndGet();
    }
  }
}
