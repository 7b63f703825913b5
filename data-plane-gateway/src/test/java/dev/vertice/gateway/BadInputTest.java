package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.TestDeadlines;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Malformed and oversized requests, slow headers, limits: each gets its 4xx with a JSON body. */
class BadInputTest {

  private ControlPlaneFixture cp;
  private Upstream upstream;
  private Gateway gateway;

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
    upstream = new Upstream("a");
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
        .maxHeaderBytes(4096).maxInitialLineBytes(1024).maxBodyBytes(64 * 1024)
        .headerTimeout(Duration.ofMillis(500)).maxConnections(8).build()).controlPlane(cp.address()).start();
    cp.register("echo", "a", upstream.port());
    dev.vertice.testkit.Await.until("routable", () -> gateway.routingState().table().http().containsKey("echo"));
  }

  @AfterEach
  void tearDown() {
    gateway.close();
    upstream.close();
    cp.close();
  }

  /** Sends raw bytes and reads until the server closes or {@code timeout} passes. */
  private String raw(byte[] request, Duration timeout) throws IOException {
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      s.setSoTimeout((int) timeout.toMillis());
      OutputStream out = s.getOutputStream();
      out.write(request);
      out.flush();
      return readResponse(s.getInputStream());
    }
  }

  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        got.write(buf, 0, n);
        String sofar = got.toString(StandardCharsets.ISO_8859_1);
        int headEnd = sofar.indexOf("\r\n\r\n");
        if (headEnd > 0) {
          int cl = sofar.toLowerCase().indexOf("content-length: ");
          if (cl > 0) {
            int end = sofar.indexOf("\r\n", cl);
            int len = Integer.parseInt(sofar.substring(cl + 16, end).trim());
            if (got.size() >= headEnd + 4 + len) {
              break;
            }
          }
        }
      }
    } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
      // what arrived is the answer
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void malformedRequestLineIs400Json() throws Exception {
    String r = raw(ascii("THIS IS NOT HTTP\r\n\r\n"), Duration.ofSeconds(5));
    assertTrue(r.startsWith("HTTP/1.1 400"), r);
    assertTrue(r.contains("\"request_id\":\""), r);
    assertEquals(0, upstream.hits.get());
  }

  @Test
  void oversizedHeadersAre431Json() throws Exception {
    String big = "x".repeat(5000);
    String r = raw(ascii("GET /echo/x HTTP/1.1\r\nHost: h\r\nX-Big: " + big + "\r\n\r\n"), Duration.ofSeconds(5));
    assertTrue(r.startsWith("HTTP/1.1 431"), r);
    assertTrue(r.contains("\"error\":\"headers_too_large\""), r);
    assertEquals(0, upstream.hits.get());
  }

  @Test
  void overlongRequestLineIs414() throws Exception {
    String r = raw(ascii("GET /echo/" + "a".repeat(2000) + " HTTP/1.1\r\nHost: h\r\n\r\n"), Duration.ofSeconds(5));
    assertTrue(r.startsWith("HTTP/1.1 414"), r);
  }

  @Test
  void declaredOversizedBodyIs413BeforeAnyUpstreamSeesIt() throws Exception {
    String r = raw(ascii("POST /echo/x HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n"),
        Duration.ofSeconds(5));
    assertTrue(r.startsWith("HTTP/1.1 413"), r);
    assertTrue(r.contains("\"error\":\"body_too_large\""), r);
    assertEquals(0, upstream.hits.get());
  }

  @Test
  void chunkedBodyGrowingPastTheLimitIs413() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] body = new byte[200 * 1024];
    // A publisher of unknown length makes the client send chunked.
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/echo/x"))
        .timeout(TestDeadlines.HTTP)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build();
    int status;
    try {
      status = http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    } catch (IOException e) {
      // The gateway may close while the client still writes; the answer then is the closed connection.
      status = 413;
    }
    assertEquals(413, status);
  }

  @Test
  void bodyWithinTheLimitStreamsThrough() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] body = new byte[60 * 1024];
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
        + "/echo/x"))
            .timeout(TestDeadlines.HTTP)
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("\"bytes\":" + body.length), r.body());
  }

  @Test
  void slowlorisHeadersAreClosedByTheHeaderTimeout() throws Exception {
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(ascii("GET /echo/x HTTP/1.1\r\nHost: h\r\n"));
      out.flush();
      long start = System.nanoTime();
      // Trickle a header byte now and then, never finishing the head.
      String r = null;
      try {
        for (int i = 0; i < 40; i++) {
          out.write(ascii("X"));
          out.flush();
          if (s.getInputStream().available() > 0) {
            break;
          }
          Thread.sleep(50);
        }
      } catch (IOException closed) {
        // the gateway closed the connection: expected
      }
      r = readResponse(s.getInputStream());
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(r.startsWith("HTTP/1.1 408"), r);
      assertTrue(r.contains("\"error\":\"header_timeout\""), r);
      assertTrue(ms < 5000, "closed after " + ms + " ms");
      assertEquals(-1, s.getInputStream().read(), "connection closed");
    }
  }

  /** Connections held open up to the gateway's limit (8 in this test's config), closed together. */
  private final class HeldConnections implements AutoCloseable {
    private final java.util.List<Socket> sockets = new java.util.ArrayList<>();

    HeldConnections(int n) throws IOException {
      try {
        for (int i = 0; i < n; i++) {
          sockets.add(new Socket("127.0.0.1", gateway.port()));
        }
      } catch (IOException e) {
        close();
        throw e;
      }
      dev.vertice.testkit.Await.until(n + " connections held", () -> gateway.httpProxy().connections() >= n);
    }

    @Override
    public void close() throws IOException {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  @Test
  void aClientWritingAfterThe503ReadsItAndACleanEnd() throws Exception {
    HeldConnections held = new HeldConnections(8);
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      s.setSoTimeout(10_000);
      String r = readResponse(s.getInputStream()); // the refusal comes before any request
      assertTrue(r.startsWith("HTTP/1.1 503"), r);
      // The request sent after it, to a socket that closed at once, would come back as a reset.
      s.getOutputStream().write(ascii("GET /echo/x HTTP/1.1\r\nHost: h\r\n\r\n"));
      s.getOutputStream().flush();
      assertEquals(-1, s.getInputStream().read(), "a clean end of stream, not a reset");
    } finally {
      held.close();
    }
  }

  @Test
  void connectionsBeyondTheLimitGet503AndClose() throws Exception {
    HeldConnections held = new HeldConnections(8);
    try {
      String r = raw(ascii("GET /echo/x HTTP/1.1\r\nHost: h\r\n\r\n"), Duration.ofSeconds(5));
      assertTrue(r.startsWith("HTTP/1.1 503"), r);
      assertTrue(r.contains("too_many_connections"), r);
    } finally {
      held.close();
    }
  }

  @Test
  void http2CleartextByUpgradeIsProxied() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
    HttpResponse<String> first = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
        + "/echo/h2")).timeout(TestDeadlines.HTTP).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, first.statusCode(), first.body());
    HttpResponse<String> second = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
        + "/echo/h2")).timeout(TestDeadlines.HTTP).POST(HttpRequest.BodyPublishers.ofString("hello")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, second.statusCode(), second.body());
    assertEquals(HttpClient.Version.HTTP_2, second.version());
    assertTrue(second.body().contains("\"bytes\":5"), second.body());
  }

  @Test
  void http2CleartextByPriorKnowledgeIsProxied() throws Exception {
    io.netty.channel.EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
        io.netty.channel.nio.NioIoHandler.newFactory());
    try {
      io.netty.channel.Channel conn = new io.netty.bootstrap.Bootstrap().group(group)
          .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
          .handler(new io.netty.channel.ChannelInitializer<io.netty.channel.socket.SocketChannel>() {
            @Override
            protected void initChannel(io.netty.channel.socket.SocketChannel ch) {
              ch.pipeline().addLast(io.netty.handler.codec.http2.Http2FrameCodecBuilder.forClient().build(),
                  new io.netty.handler.codec.http2.Http2MultiplexHandler(
                      new io.netty.channel.ChannelInboundHandlerAdapter()));
            }
          })
          .connect("127.0.0.1", gateway.port()).sync().channel();
      java.util.concurrent.CompletableFuture<io.netty.handler.codec.http.FullHttpResponse> answer =
          new java.util.concurrent.CompletableFuture<>();
      io.netty.handler.codec.http2.Http2StreamChannel stream =
          new io.netty.handler.codec.http2.Http2StreamChannelBootstrap(conn)
              .handler(new io.netty.channel.ChannelInitializer<io.netty.handler.codec.http2.Http2StreamChannel>() {
                @Override
                protected void initChannel(io.netty.handler.codec.http2.Http2StreamChannel ch) {
                  ch.pipeline().addLast(new io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec(false),
                      new io.netty.handler.codec.http.HttpObjectAggregator(1 << 20),
                      new io.netty.channel.SimpleChannelInboundHandler<io.netty.handler.codec.http.FullHttpResponse>() {
                        @Override
                        protected void channelRead0(io.netty.channel.ChannelHandlerContext ctx,
                            io.netty.handler.codec.http.FullHttpResponse msg) {
                          answer.complete(msg.retainedDuplicate());
                        }
                      });
                }
              }).open().sync().getNow();
      io.netty.handler.codec.http.FullHttpRequest req = new io.netty.handler.codec.http.DefaultFullHttpRequest(
          io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.POST, "/echo/pk",
          io.netty.buffer.Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII));
      req.headers().set("host", "127.0.0.1").setInt("content-length", 3);
      stream.writeAndFlush(req);
      io.netty.handler.codec.http.FullHttpResponse r = answer.get(10, java.util.concurrent.TimeUnit.SECONDS);
      try {
        assertEquals(200, r.status().code());
        assertTrue(r.content().toString(StandardCharsets.UTF_8).contains("\"bytes\":3"),
            r.content().toString(StandardCharsets.UTF_8));
      } finally {
        r.release();
      }
      conn.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void connectionCloseRequestGetsTheWholeResponseThenTheClose() throws Exception {
    String r = raw(ascii("GET /echo/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"), Duration.ofSeconds(5));
    assertTrue(r.startsWith("HTTP/1.1 200"), r);
    assertTrue(r.toLowerCase().contains("connection: close"), r);
    assertTrue(r.endsWith("\"bytes\":0}"), r);
    String http10 = raw(ascii("GET /echo/y HTTP/1.0\r\n\r\n"), Duration.ofSeconds(5));
    assertTrue(http10.startsWith("HTTP/1.1 200"), http10);
    assertTrue(http10.endsWith("\"bytes\":0}"), http10);
  }

  @Test
  void aClientStillWritingAfterTheCloseReadsTheAnswerAndACleanEnd() throws Exception {
    gateway.close();
    gateway = Gateway.builder(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
        .lingeringClose(Duration.ofMillis(700)).build()).controlPlane(cp.address()).start();
    dev.vertice.testkit.Await.until("routable", () -> gateway.routingState().table().http().containsKey("echo"));
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(ascii("GET /echo/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
      out.flush();
      String r = readResponse(s.getInputStream());
      assertTrue(r.startsWith("HTTP/1.1 200"), r);
      // Bytes sent after the answer, to a socket that closed at once, would come back as a reset.
      out.write(ascii("GET /echo/late HTTP/1.1\r\nHost: h\r\n\r\n"));
      out.flush();
      assertEquals(-1, s.getInputStream().read(), "a clean end of stream, not a reset");
      // The client keeps its end open: the gateway lets go of the connection after lingering.
      dev.vertice.testkit.Await.until("the lingering connection closed", () -> gateway.httpProxy().connections() == 0);
    }
  }
}
