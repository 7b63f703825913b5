package dev.vertice.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.vertice.common.JsonStrings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code EchoHttpServer} is the demo HTTP service, on the JDK's built-in HTTP server.
 *
 * <ul>
 *   <li>any method and path not below: 200 with {@code {"service","instance","version","method",
 *       "path"}}, after the configured latency; at the configured error rate 500 with {@code
 *       {"error":"injected error",...}} instead;
 *   <li>{@code GET /health}: 200 {@code {"status":"SERVING"}}, or 503 {@code
 *       {"status":"NOT_SERVING"}} while the switch is off;
 *   <li>{@code POST /admin/health} with {@code {"serving":true|false}}: flips the switch (400 for
 *       another body, at most {@value #MAX_ADMIN_BODY_BYTES} bytes);
 *   <li>{@code GET /admin/inflight}: {@code {"inflight":N}}, the echoes being served now (the
 *       sidecar can end its drain early once this reaches zero).
 * </ul>
 *
 * <p>Cheap enough to run dozens in one JVM: every instance shares one pool of daemon threads (at
 * most {@value #MAX_THREADS}, idle ones end after 30 s); when all are busy the accepting thread
 * serves the request itself, which slows accepting down instead of queueing without bound.
 */
public final class EchoHttpServer implements DemoService {

  /** Most threads serving requests, shared by every instance in the JVM. */
  public static final int MAX_THREADS = 256;
  /** Largest body accepted by the admin endpoint. */
  public static final int MAX_ADMIN_BODY_BYTES = 1024;

  private static final Pattern SERVING = Pattern.compile("\\A\\s*\\{\\s*\"serving\"\\s*:\\s*(true|false)\\s*}\\s*\\z");
  private static final ExecutorService SHARED = sharedPool();

  private final DemoConfig config;
  private final HttpServer server;
  private final Random random;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean serving = true;

  private EchoHttpServer(DemoConfig config) throws IOException {
    this.config = config;
    this.random = new Random(config.seed());
    this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 128);
    server.setExecutor(SHARED);
    server.createContext("/", this::handle);
    server.start();
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
    return server.getAddress().getPort();
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
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      if (path.equals("/health") && method.equals("GET")) {
        boolean up = serving;
        send(ex, up ? 200 : 503, "{\"status\":\"" + (up ? "SERVING" : "NOT_SERVING") + "\"}");
      } else if (path.equals("/admin/health") && method.equals("POST")) {
        adminHealth(ex);
      } else if (path.equals("/admin/inflight") && method.equals("GET")) {
        send(ex, 200, "{\"inflight\":" + inFlight.get() + "}");
      } else {
        echo(ex, method, path);
      }
    }
  }

  private void adminHealth(HttpExchange ex) throws IOException {
    byte[] body = readAtMost(ex.getRequestBody(), MAX_ADMIN_BODY_BYTES + 1);
    if (body.length > MAX_ADMIN_BODY_BYTES) {
      send(ex, 413, "{\"error\":\"body larger than " + MAX_ADMIN_BODY_BYTES + " bytes\"}");
      return;
    }
    Matcher m = SERVING.matcher(new String(body, StandardCharsets.UTF_8));
    if (!m.matches()) {
      send(ex, 400, "{\"error\":\"expected {\\\"serving\\\":true} or {\\\"serving\\\":false}\"}");
      return;
    }
    serving = Boolean.parseBoolean(m.group(1));
    send(ex, 200, "{\"serving\":" + serving + "}");
  }

  private void echo(HttpExchange ex, String method, String path) throws IOException {
    inFlight.incrementAndGet();
    try {
      ex.getRequestBody().transferTo(OutputStream.nullOutputStream());
      if (!config.latency().isZero()) {
        try {
          Thread.sleep(config.latency().toMillis(), config.latency().toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          send(ex, 503, "{\"error\":\"shutting down\"}");
          return;
        }
      }
      boolean fail;
      synchronized (random) {
        fail = config.errorRate() > 0 && random.nextDouble() < config.errorRate();
      }
      String identity = "\"service\":" + JsonStrings.quote(config.service()) + ",\"instance\":"
          + JsonStrings.quote(config.instanceId()) + ",\"version\":" + JsonStrings.quote(config.version());
      if (fail) {
        send(ex, 500, "{\"error\":\"injected error\"," + identity + "}");
      } else {
        send(ex, 200, "{" + identity + ",\"method\":" + JsonStrings.quote(method) + ",\"path\":" + JsonStrings.quote(path) + "}");
      }
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static byte[] readAtMost(InputStream in, int limit) throws IOException {
    return in.readNBytes(limit);
  }

  private static ExecutorService sharedPool() {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
        r -> {
          Thread t = new Thread(r, "demo-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
    return pool;
  }
}
