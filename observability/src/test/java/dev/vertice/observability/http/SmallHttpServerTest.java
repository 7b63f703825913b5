package dev.vertice.observability.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.Await;
import dev.vertice.testkit.RawHttp;
import dev.vertice.testkit.ReusablePorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SmallHttpServerTest {

  private static final Duration READ = Duration.ofSeconds(5);

  private final List<AutoCloseable> closing = new ArrayList<>();
  /** Requests the handler saw, as "METHOD path body". */
  private final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
  private final HttpHandler echo = HttpHandler.direct(r -> {
    seen.add(r.method() + " " + r.path() + " " + r.bodyText());
    return r.path().equals("/fail") ? failing() : Response.json(200, "{\"path\":\"" + r.path() + "\"}");
  });

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private static Response failing() {
    throw new IllegalStateException("secret internals");
  }

  private SmallHttpServer start(SmallHttpServerConfig config, HttpHandler handler) throws IOException {
    SmallHttpServer s = SmallHttpServer.builder("127.0.0.1", 0, handler).config(config).bind().start();
    closing.add(s);
    return s;
  }

  private RawHttp connect(SmallHttpServer s) throws IOException {
    RawHttp c = RawHttp.connect(s.port(), READ);
    closing.add(c);
    return c;
  }

  private static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n";
  }

  @Test
  void keepAliveRequestsOnOneConnectionTakeUnderFiveMsAtTheMedian() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.ofDefaults(), echo);
    RawHttp c = connect(s);
    for (int i = 0; i < 50; i++) {
      assertEquals(200, c.exchange(get("/warm")).status());
    }
    long[] nanos = new long[500];
    for (int i = 0; i < nanos.length; i++) {
      long t0 = System.nanoTime();
      RawHttp.Answer a = c.exchange(get("/x"));
      nanos[i] = System.nanoTime() - t0;
      assertEquals(200, a.status());
      assertEquals("{\"path\":\"/x\"}", a.body());
    }
    Arrays.sort(nanos);
    long medianMicros = nanos[nanos.length / 2] / 1000;
    // The JDK server took ~40 ms here (Nagle's algorithm meeting the client's delayed ACK).
    assertTrue(medianMicros < 5000, "median " + medianMicros + " µs");
  }

  @Test
  void stalledConnectionsHoldNoThreadAndAreAnswered408AfterTheRequestTimeout() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.custom().requestTimeout(Duration.ofMillis(800)).build(), echo);
    List<RawHttp> stalled = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      stalled.add(connect(s).send("GET /heal"));
    }
    RawHttp stuckBody = connect(s).send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    stalled.add(stuckBody);
    // One event-loop thread, five stalled connections: others are still answered at once.
    RawHttp c = connect(s);
    for (int i = 0; i < 20; i++) {
      assertEquals(200, c.exchange(get("/healthz")).status());
    }
    for (RawHttp r : stalled) {
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      assertTrue(r.closedByServer(got), "closed after the request timeout");
      String text = got.toString(StandardCharsets.UTF_8);
      assertTrue(text.startsWith("HTTP/1.1 408 "), text);
      assertTrue(text.contains("request not received within 800 ms"), text);
    }
    assertFalse(seen.stream().anyMatch(x -> x.startsWith("POST")), "the partial POST never reached the handler");
  }

  @Test
  void timeoutClockRestartsForEachRequestOnAKeepAliveConnection() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.custom().requestTimeout(Duration.ofMillis(500)).build(), echo);
    RawHttp c = connect(s);
    // A request and the start of the next one in one segment: the next one's clock still runs.
    RawHttp.Answer a = c.exchange(get("/one") + "GET /tw");
    assertEquals(200, a.status());
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    assertTrue(c.closedByServer(got));
    assertTrue(got.toString(StandardCharsets.UTF_8).startsWith("HTTP/1.1 408 "), got.toString());
  }

  @Test
  void idleKeepAliveConnectionStaysOpenPastTheRequestTimeoutAndClosesAfterTheIdleTimeout() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.custom().requestTimeout(Duration.ofMillis(200))
        .idleTimeout(Duration.ofMillis(1200)).build(), echo);
    RawHttp c = connect(s);
    assertEquals(200, c.exchange(get("/a")).status());
    long t0 = System.nanoTime();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    assertTrue(c.closedByServer(got), "closed when idle");
    long waitedMillis = (System.nanoTime() - t0) / 1_000_000;
    assertEquals("", got.toString(), "an idle connection is closed without an answer");
    assertTrue(waitedMillis >= 1000, "closed after " + waitedMillis + " ms, not by the 200 ms request timeout");
  }

  @Test
  void oversizedBodyGets413AndNeverReachesTheHandler() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.custom().maxBodyBytes(100).build(), echo);
    String big = "x".repeat(101);
    RawHttp c = connect(s);
    RawHttp.Answer a = c.exchange("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n" + big);
    assertEquals(413, a.status());
    assertEquals("application/json", a.header("content-type"));
    assertEquals("{\"error\":\"body too large\",\"message\":\"request body larger than 100 bytes\"}", a.body());
    assertEquals("close", a.header("connection"));
    RawHttp chunked = connect(s);
    RawHttp.Answer b = chunked.exchange("POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "40\r\n" + "y".repeat(64) + "\r\n40\r\n" + "y".repeat(64) + "\r\n0\r\n\r\n");
    assertEquals(413, b.status());
    assertTrue(seen.isEmpty(), "the handler saw " + seen);
    RawHttp ok = connect(s);
    assertEquals(200, ok.exchange("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"
        + "x".repeat(100)).status());
    assertEquals(List.of("POST /x " + "x".repeat(100)), List.copyOf(seen));
  }

  @Test
  void connectionCapRefusesTheNextConnectionWith503() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.custom().maxConnections(2).build(), echo);
    RawHttp first = connect(s);
    RawHttp second = connect(s);
    assertEquals(200, first.exchange(get("/a")).status());
    assertEquals(200, second.exchange(get("/b")).status());
    RawHttp third = connect(s);
    RawHttp.Answer refused = third.read();
    assertEquals(503, refused.status());
    assertEquals("{\"error\":\"too many connections\",\"message\":\"this server accepts at most 2 connections\"}",
        refused.body());
    assertTrue(third.closedByServer(null));
    first.close();
    Await.until("the first connection's slot is free", () -> s.openConnections() == 1);
    assertEquals(200, connect(s).exchange(get("/c")).status());
    assertEquals(200, second.exchange(get("/b")).status(), "the connections within the cap keep working");
  }

  @Test
  void tooLongRequestLineAndHeadersAndMalformedRequestsGetJsonErrorsAndClose() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.custom().maxInitialLineBytes(128).maxHeaderBytes(512).build(),
        echo);
    RawHttp line = connect(s);
    RawHttp.Answer a = line.exchange(get("/" + "a".repeat(200)));
    assertEquals(414, a.status());
    assertTrue(line.closedByServer(null));
    RawHttp headers = connect(s);
    RawHttp.Answer b = headers.exchange("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + "b".repeat(600) + "\r\n\r\n");
    assertEquals(431, b.status());
    assertTrue(headers.closedByServer(null));
    RawHttp bad = connect(s);
    RawHttp.Answer c = bad.exchange("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
    assertEquals(400, c.status());
    assertEquals("application/json", c.header("content-type"));
    assertTrue(bad.closedByServer(null));
    RawHttp target = connect(s);
    assertEquals(400, target.exchange("GET /a|b HTTP/1.1\r\nHost: t\r\n\r\n").status());
    assertTrue(seen.isEmpty(), "the handler saw " + seen);
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstAnswersLater() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.ofDefaults(), r -> {
      CompletableFuture<Response> later = new CompletableFuture<>();
      long delay = r.path().equals("/slow") ? 200 : 0;
      r.scheduler().schedule(() -> later.complete(Response.json(200, r.path())), delay, TimeUnit.MILLISECONDS);
      return later;
    });
    RawHttp c = connect(s);
    c.send(get("/slow") + get("/fast") + get("/third"));
    assertEquals("/slow", c.read().body());
    assertEquals("/fast", c.read().body());
    assertEquals("/third", c.read().body());
  }

  @Test
  void failingHandlerGets500WithoutDetailsAndTheConnectionStaysUsable() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.ofDefaults(), echo);
    RawHttp c = connect(s);
    RawHttp.Answer a = c.exchange(get("/fail"));
    assertEquals(500, a.status());
    assertEquals("{\"error\":\"internal error\"}", a.body());
    assertEquals(200, c.exchange(get("/ok")).status());
  }

  @Test
  void headGetsTheLengthWithoutTheBodyAndHttp10ClosesUnlessKeepAlive() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.ofDefaults(), echo);
    RawHttp c = connect(s);
    RawHttp.Answer head = c.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n").read(false);
    assertEquals(200, head.status());
    assertEquals(String.valueOf("{\"path\":\"/h\"}".length()), head.header("content-length"));
    // The body was not sent: the next answer follows directly.
    assertEquals("{\"path\":\"/next\"}", c.exchange(get("/next")).body());
    RawHttp old = connect(s);
    assertEquals(200, old.exchange("GET /old HTTP/1.0\r\n\r\n").status());
    assertTrue(old.closedByServer(null));
  }

  @Test
  void offloadedHandlerThatBlocksDoesNotHoldTheEventLoop() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    closing.add(pool::shutdownNow);
    HttpHandler blocking = HttpHandler.offloaded(pool, r -> {
      if (r.path().equals("/block")) {
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Response.json(200, "{}");
    });
    SmallHttpServer s = start(SmallHttpServerConfig.ofDefaults(), blocking);
    RawHttp blocked = connect(s).send(get("/block"));
    assertEquals(200, connect(s).exchange(get("/other")).status());
    release.countDown();
    assertEquals(200, blocked.read().status());
  }

  @Test
  void closeFreesThePortAndDropsConnections() throws Exception {
    // Below the ephemeral range: no outgoing connection can take the port between the close and the bind.
    SmallHttpServer s = ReusablePorts.bindBelowEphemeralRange(
        port -> SmallHttpServer.builder("127.0.0.1", port, echo).bind()).start();
    RawHttp c = RawHttp.connect(s.port(), READ);
    assertEquals(200, c.exchange(get("/a")).status());
    int port = s.port();
    s.close();
    assertTrue(c.closedByServer(null));
    c.close();
    // The JDK closes a listening socket registered with a selector when the selector next deregisters it,
    // on the event loop just after close() returned: the port is free within moments, not at once.
    SmallHttpServer again = Await.value("port " + port + " bound again", Await.DEFAULT_TIMEOUT, () -> {
      try {
        return SmallHttpServer.builder("127.0.0.1", port, echo).bind().start();
      } catch (IOException stillBound) {
        return null;
      }
    });
    closing.add(again);
    assertEquals(port, again.port());
  }

  @Test
  void bindingATakenPortFailsWithTheAddress() throws Exception {
    SmallHttpServer s = start(SmallHttpServerConfig.ofDefaults(), echo);
    IOException e = assertThrows(IOException.class,
        () -> SmallHttpServer.builder("127.0.0.1", s.port(), echo).bind());
    assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + s.port()), e.getMessage());
  }

  @Test
  void servesHttpsWithAnSslContext(@TempDir Path dir) throws Exception {
    SSLContext tls = SelfSignedTls.create(dir);
    SmallHttpServer s = SmallHttpServer.builder("127.0.0.1", 0, echo).tls(tls).bind().start();
    closing.add(s);
    HttpClient https = HttpClient.newBuilder().sslContext(tls).connectTimeout(READ).build();
    HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + s.port() + "/tls"))
        .timeout(READ).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("{\"path\":\"/tls\"}", r.body());
    // Plain HTTP on the TLS port gets no answer.
    RawHttp plain = connect(s);
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    plain.send(get("/plain"));
    plain.closedByServer(got);
    assertFalse(got.toString(StandardCharsets.ISO_8859_1).contains("HTTP/1.1 200"), got.toString());
  }

  @Test
  void sharedEventLoopsServeSeveralServersAndOutliveThem() throws Exception {
    HttpEventLoops loops = HttpEventLoops.create("shared-http", 1);
    closing.add(loops);
    SmallHttpServer a = SmallHttpServer.builder("127.0.0.1", 0, echo).eventLoops(loops).bind().start();
    SmallHttpServer b = SmallHttpServer.builder("127.0.0.1", 0, echo).eventLoops(loops).bind().start();
    closing.add(b);
    assertEquals(200, connect(a).exchange(get("/a")).status());
    a.close();
    assertEquals(200, connect(b).exchange(get("/b")).status());
  }

  @Test
  void handlerSeesDecodedPathQueryFreeAndHeaders() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    SmallHttpServer s = start(SmallHttpServerConfig.ofDefaults(), HttpHandler.direct(r -> {
      calls.incrementAndGet();
      return Response.json(200, r.path() + "|" + r.uri() + "|" + r.header("x-thing"));
    }));
    RawHttp.Answer a = connect(s).exchange("GET /a%20b/c?q=1 HTTP/1.1\r\nHost: t\r\nX-Thing: v\r\n\r\n");
    assertEquals("/a b/c|/a%20b/c?q=1|v", a.body());
    assertEquals(1, calls.get());
  }
}
