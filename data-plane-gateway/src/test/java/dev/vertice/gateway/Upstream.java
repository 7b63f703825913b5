package dev.vertice.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code Upstream} is a real HTTP/1.1 server on loopback (the JDK's) standing for one service
 * instance: it answers with its id, records what it received, and can be told to fail or stall.
 */
final class Upstream implements AutoCloseable {

  /** What one request looked like when it reached the upstream. */
  record Seen(String method, String uri, Map<String, List<String>> headers, long bodyBytes) {
    String header(String name) {
      for (var e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }
  }

  static {
    // The JDK server writes headers and body apart: without this, Nagle and delayed ACKs add 40 ms.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  final String id;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(16);
  final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
  final AtomicInteger hits = new AtomicInteger();
  volatile int status = 200;
  volatile long delayMillis;

  Upstream(String id) throws IOException {
    this.id = id;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange x) throws IOException {
    hits.incrementAndGet();
    long n = 0;
    try (InputStream in = x.getRequestBody()) {
      byte[] buf = new byte[65536];
      int r;
      while ((r = in.read(buf)) >= 0) {
        n += r;
      }
    }
    seen.add(new Seen(x.getRequestMethod(), x.getRequestURI().toString(), Map.copyOf(x.getRequestHeaders()), n));
    if (delayMillis > 0) {
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    byte[] body = ("{\"instance\":\"" + id + "\",\"bytes\":" + n + "}").getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", "application/json");
    x.getResponseHeaders().add("X-Instance", id);
    x.sendResponseHeaders(status, "HEAD".equals(x.getRequestMethod()) ? -1 : body.length);
    if (!"HEAD".equals(x.getRequestMethod())) {
      try (OutputStream out = x.getResponseBody()) {
        out.write(body);
      }
    }
    x.close();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
