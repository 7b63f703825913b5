package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestCerts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HTTP/2 request targets get the checks HTTP/1 targets get: a {@code :path} with non-ASCII,
 * control or space characters, a bad percent-encoding, or not in origin form is answered 400 with a
 * JSON body, over h2c and over TLS h2, and the upstream (a raw socket that records every byte it is
 * sent) never sees the request. A valid target still goes through.
 */
@Timeout(120)
class Http2TargetTest {

  enum Transport { H2C, TLS_H2 }

  @TempDir
  Path dir;

  private ControlPlaneFixture cp;
  private RawUpstream upstream;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
    upstream = new RawUpstream();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    upstream.close();
    cp.close();
  }

  private <T extends AutoCloseable> T closing(T c) {
    closing.add(c);
    return c;
  }

  /** Starts a gateway routing "echo" to the raw upstream and connects an HTTP/2 client to it. */
  private H2Client connect(Transport transport) throws Exception {
    GatewayConfig config = GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1).build();
    Gateway.Builder b = Gateway.builder(config).controlPlane(cp.address());
    TestCerts ca = null;
    if (transport == Transport.TLS_H2) {
      ca = TestCerts.ca(dir, "ca");
      TestCerts.Pair server = ca.server("gateway", "localhost", "127.0.0.1");
      b.tls(closing(ReloadingTls.forServer(TlsSettings.server(server.cert(), server.key()))));
    }
    Gateway g = closing(b.start());
    cp.register("echo", "a", upstream.port());
    Await.until("routable", () -> g.routingState().table().http().containsKey("echo")
        && g.routingState().table().http().get("echo").hasInstances());
    return closing(transport == Transport.H2C ? H2Client.h2c(g.port()) : H2Client.tls(g.port(), ca.caCert()));
  }

  private static String scheme(Transport t) {
    return t == Transport.H2C ? "http" : "https";
  }

  /** Raw {@code :path} values (as bytes) that no HTTP/1 request line may carry either. */
  static Stream<Arguments> badTargets() {
    List<Arguments> out = new ArrayList<>();
    String[][] paths = {
        {"non-ASCII (UTF-8 bytes)", utf8AsBytes("/echo/caf\u00e9")},
        {"Latin-1 byte", "/echo/caf\u00e9"},
        {"space", "/echo/a b"},
        {"control character", "/echo/a\u0001b"},
        {"DEL", "/echo/a\u007f"},
        {"bad percent-encoding", "/echo/%zz"},
        {"truncated percent-encoding", "/echo/x%4"},
        {"not origin form", "echo/x"},
        {"absolute form", "http://echo/x"},
    };
    for (Transport t : Transport.values()) {
      for (String[] p : paths) {
        out.add(Arguments.of(t, p[0], p[1]));
      }
    }
    return out.stream();
  }

  private static String utf8AsBytes(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badTargets")
  void invalidPathIsRefusedWith400AndNeverReachesTheUpstream(Transport transport, String what, String path)
      throws Exception {
    H2Client client = connect(transport);
    H2Client.Response r = client.send(H2Client.request("GET", scheme(transport), path), null);
    assertEquals(400, r.status(), what + ": " + r);
    assertTrue(r.headers().get("content-type").toString().startsWith("application/json"), what + ": " + r);
    assertTrue(r.body().contains("\"status\":400"), what + ": " + r.body());
    assertTrue(r.body().contains("request target"), what + ": " + r.body());
    // The connection survives (only the stream was bad): a valid request on it still goes through.
    H2Client.Response ok = client.send(H2Client.request("GET", scheme(transport), "/echo/after"), null);
    assertEquals(200, ok.status(), ok.toString());
    assertEquals(List.of("GET /after HTTP/1.1"), upstream.requestLines(), what + ": the upstream saw the bad request");
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void invalidPathWithABodyIsRefusedToo(Transport transport) throws Exception {
    H2Client client = connect(transport);
    H2Client.Response r = client.send(H2Client.request("POST", scheme(transport), utf8AsBytes("/echo/\u00fcber")),
        "payload");
    assertEquals(400, r.status(), r.toString());
    assertTrue(upstream.heads.isEmpty(), "the upstream saw " + upstream.heads);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void validTargetWithPercentEncodingAndQueryGoesThrough(Transport transport) throws Exception {
    H2Client client = connect(transport);
    H2Client.Response r = client.send(H2Client.request("GET", scheme(transport), "/echo/caf%C3%A9?q=a%20b&x=~"),
        null);
    assertEquals(200, r.status(), r.toString());
    assertEquals("ok", r.body());
    assertEquals(List.of("GET /caf%C3%A9?q=a%20b&x=~ HTTP/1.1"), upstream.requestLines());
  }

  /**
   * An {@code Upgrade: h2c} request is served as stream 1 of the new HTTP/2 connection, not by the
   * HTTP/1 handler: its target gets the HTTP/2 check. Raw socket: the 400's JSON travels in a DATA
   * frame, readable as bytes.
   */
  @org.junit.jupiter.api.Test
  void invalidTargetInAnH2cUpgradeRequestIsRefused() throws Exception {
    connect(Transport.H2C).close();
    int port = ((Gateway) closing.get(0)).port();
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("GET /echo/caf\u00c3\u00a9 HTTP/1.1\r\nHost: localhost\r\n"
          + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      // The client's connection preface and an empty SETTINGS frame, as a real client sends after the 101.
      s.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
      s.getOutputStream().flush();
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      String text = "";
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (!text.contains("request target") && System.nanoTime() < deadline) {
        int n;
        try {
          n = s.getInputStream().read(buf);
        } catch (java.net.SocketTimeoutException e) {
          break;
        }
        if (n < 0) {
          break;
        }
        got.write(buf, 0, n);
        text = got.toString(StandardCharsets.ISO_8859_1);
      }
      assertTrue(text.startsWith("HTTP/1.1 101"), text);
      assertTrue(text.contains("\"status\":400") && text.contains("request target"), text);
    }
    assertTrue(upstream.heads.isEmpty(), "the upstream saw " + upstream.heads);
  }
}
