package dev.vertice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vertice.security.tls.ReloadingTls;
import dev.vertice.security.tls.TlsSettings;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestCerts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 18, defect 5: no client can hold the gateway's connections forever. Idle connections close
 * on every pipeline (HTTP/1.1, h2c, TLS HTTP/1.1, TLS h2); a client that stops reading a response
 * (an h2 client that never sends WINDOW_UPDATE, an HTTP/1 client that never reads) is cut after the
 * response write timeout and the upstream connection goes back (the pool here holds one); one client
 * address gets at most its share of connections. Real sockets, a real upstream, one event loop.
 */
@Timeout(90)
class ConnectionHoldingTest {

  enum Pipeline { H1, H2C, TLS_H1, TLS_H2 }

  /** A response far larger than any window and socket buffer between the upstream and the client. */
  private static final int BIG = 32 << 20;

  @TempDir
  Path dir;

  private ControlPlaneFixture cp;
  private HttpServer upstream;
  private final ExecutorService upstreamThreads = Executors.newFixedThreadPool(8);
  private final List<AutoCloseable> closing = new ArrayList<>();
  private TestCerts ca;
  private Gateway gateway;

  @BeforeEach
  void setUp() throws Exception {
    cp = ControlPlaneFixture.start();
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    upstream.setExecutor(upstreamThreads);
    upstream.createContext("/", x -> {
      x.getRequestBody().readAllBytes();
      boolean big = x.getRequestURI().getPath().startsWith("/big");
      x.sendResponseHeaders(200, big ? BIG : 2);
      try (OutputStream out = x.getResponseBody()) {
        if (big) {
          byte[] chunk = new byte[64 << 10];
          for (int sent = 0; sent < BIG; sent += chunk.length) {
            out.write(chunk);
          }
        } else {
          out.write("ok".getBytes(StandardCharsets.US_ASCII));
        }
      } catch (IOException cut) {
        // the gateway let the connection go
      }
    });
    upstream.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    if (gateway != null) {
      gateway.close();
    }
    upstream.stop(0);
    upstreamThreads.shutdownNow();
    cp.close();
  }

  private <T extends AutoCloseable> T closing(T c) {
    closing.add(c);
    return c;
  }

  /** Starts a gateway (one event loop, one upstream connection per instance) routing "echo" to the upstream. */
  private void start(boolean tls, UnaryOperator<GatewayConfig.Builder> tune) throws Exception {
    GatewayConfig config = tune.apply(GatewayConfig.custom().host("127.0.0.1").port(0).grpcPort(-1)
        .maxConnectionsPerInstance(1).connectTimeout(Duration.ofSeconds(1)).requestTimeout(Duration.ofSeconds(5))).build();
    Gateway.Builder b = Gateway.builder(config).controlPlane(cp.address()).threads(1);
    if (tls) {
      ca = TestCerts.ca(dir, "ca");
      TestCerts.Pair server = ca.server("gateway", "localhost", "127.0.0.1");
      b.tls(closing(ReloadingTls.forServer(TlsSettings.server(server.cert(), server.key()))));
    }
    gateway = b.start();
    cp.register("echo", "a", upstream.getAddress().getPort());
    Await.until("routable", () -> gateway.routingState().table().http().containsKey("echo")
        && gateway.routingState().table().http().get("echo").hasInstances());
  }

  private Socket socket(boolean tls, InetAddress from) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    if (from != null) {
      s.bind(new InetSocketAddress(from, 0));
    }
    s.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5_000);
    s.setSoTimeout(10_000);
    if (!tls) {
      return s;
    }
    SSLSocket ssl = (SSLSocket) closing(ReloadingTls.forClient(TlsSettings.client(ca.caCert()))).sslContext()
        .getSocketFactory().createSocket(s, "localhost", gateway.port(), true);
    SSLParameters p = ssl.getSSLParameters();
    p.setApplicationProtocols(new String[] {"http/1.1"});
    ssl.setSSLParameters(p);
    ssl.startHandshake();
    return ssl;
  }

  private static void get(Socket s, String path) throws IOException {
    s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: echo\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
  }

  /** Reads one small response's head and body (up to "ok"), or what comes before the close. */
  private static String readSmall(Socket s) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    int b;
    while (!got.toString(StandardCharsets.ISO_8859_1).endsWith("ok") && !got.toString(StandardCharsets.ISO_8859_1)
        .endsWith("}\n") && (b = in.read()) >= 0) {
      got.write(b);
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  /** Waits until the gateway closes {@code s} (EOF or reset), reading and dropping what comes. */
  private static void awaitClosedByGateway(Socket s, Duration within) throws IOException {
    long deadline = System.nanoTime() + within.toNanos();
    byte[] buf = new byte[8192];
    while (System.nanoTime() < deadline) {
      try {
        if (s.getInputStream().read(buf) < 0) {
          return;
        }
      } catch (SocketTimeoutException stillOpen) {
        // keep waiting
      } catch (SocketException reset) {
        return;
      }
    }
    throw new AssertionError("the gateway kept the connection open for " + within);
  }

  /** A fresh HTTP/1 request goes through: the single upstream connection is free again. */
  private void awaitUpstreamFree(boolean tls) {
    Await.until("a new request gets the upstream connection", Duration.ofSeconds(15), () -> {
      try (Socket s = socket(tls, null)) {
        get(s, "/echo/small");
        return readSmall(s).startsWith("HTTP/1.1 200");
      } catch (Exception e) {
        return false;
      }
    });
  }

  @ParameterizedTest
  @EnumSource(Pipeline.class)
  void idleConnectionIsClosedOnEveryPipeline(Pipeline pipeline) throws Exception {
    boolean tls = pipeline == Pipeline.TLS_H1 || pipeline == Pipeline.TLS_H2;
    start(tls, b -> b.idleTimeout(Duration.ofMillis(500)));
    if (pipeline == Pipeline.H2C || pipeline == Pipeline.TLS_H2) {
      H2Client c = closing(tls ? H2Client.tls(gateway.port(), ca.caCert()) : H2Client.h2c(gateway.port()));
      assertEquals(200, c.send(H2Client.request("GET", tls ? "https" : "http", "/echo/x"), null).status());
      Await.until(pipeline + " connection closed once idle", Duration.ofSeconds(10), () -> !c.isOpen());
    } else {
      try (Socket s = socket(tls, null)) {
        get(s, "/echo/x");
        assertTrue(readSmall(s).startsWith("HTTP/1.1 200"));
        awaitClosedByGateway(s, Duration.ofSeconds(10));
      }
    }
    Await.until("no connection left", () -> gateway.httpProxy().connections() == 0);
  }

  @ParameterizedTest
  @EnumSource(value = Pipeline.class, names = {"H2C", "TLS_H2"})
  void h2StreamWhoseClientNeverSendsWindowUpdateIsResetAndTheUpstreamLetGo(Pipeline pipeline) throws Exception {
    boolean tls = pipeline == Pipeline.TLS_H2;
    start(tls, b -> b.responseWriteTimeout(Duration.ofSeconds(1)).idleTimeout(Duration.ofSeconds(30)));
    H2Client c = closing(tls ? H2Client.tls(gateway.port(), ca.caCert()) : H2Client.h2c(gateway.port()));
    c.sendNeverReading(H2Client.request("GET", tls ? "https" : "http", "/echo/big"));
    Await.until("the response started", () -> gateway.httpProxy().inFlight() == 1);
    Await.until("the stalled exchange ended", Duration.ofSeconds(15), () -> gateway.httpProxy().inFlight() == 0);
    awaitUpstreamFree(tls);
    assertTrue(c.isOpen(), "only the stream is reset; the connection and its other streams go on");
  }

  @Test
  void http1ClientThatNeverReadsIsClosedAndTheUpstreamLetGo() throws Exception {
    start(false, b -> b.responseWriteTimeout(Duration.ofSeconds(1)).idleTimeout(Duration.ofSeconds(30)));
    try (Socket s = socket(false, null)) {
      get(s, "/echo/big");
      Await.until("the stalled exchange ended", Duration.ofSeconds(20), () -> gateway.httpProxy().inFlight() == 0);
      awaitUpstreamFree(false);
      awaitClosedByGateway(s, Duration.ofSeconds(30));
    }
  }

  @Test
  void oneClientAddressGetsAtMostItsShareOfConnections() throws Exception {
    start(false, b -> b.maxConnectionsPerClient(2).idleTimeout(Duration.ofSeconds(30)));
    Socket b = null;
    try (Socket a = socket(false, null)) {
      b = socket(false, null);
      try (Socket c = socket(false, null)) {
        String refused = readSmall(c);
        assertTrue(refused.startsWith("HTTP/1.1 503"), refused);
        assertTrue(refused.contains("application/json") && refused.contains("--max-connections-per-client"), refused);
      }
      get(a, "/echo/x");
      assertTrue(readSmall(a).startsWith("HTTP/1.1 200"), "the connections within the limit are served");
      try (Socket other = socket(false, InetAddress.getByName("127.0.0.2"))) {
        get(other, "/echo/x");
        assertTrue(readSmall(other).startsWith("HTTP/1.1 200"), "another address has its own share");
      }
      b.close();
      Await.until("a slot of this address is free again", () -> {
        try (Socket d = socket(false, null)) {
          get(d, "/echo/x");
          return readSmall(d).startsWith("HTTP/1.1 200");
        } catch (Exception e) {
          return false;
        }
      });
    } finally {
      if (b != null) {
        b.close();
      }
    }
  }
}
