package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vertice.sidecar.TestControlPlane;
import dev.vertice.testkit.Await;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sidecar's admin port listens on {@code --admin-host}, every interface by default, so that
 * Prometheus in another container can scrape it, while the app's local API stays on the loopback.
 */
class SidecarAdminHostTest {

  private static final Pattern API = Pattern.compile("local API on 127\\.0\\.0\\.1:(\\d+)");

  @TempDir
  Path dir;
  private TestControlPlane cp;
  private Children children;
  private HttpServer app;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void tearDown() {
    if (children != null) {
      children.close();
    }
    if (cp != null) {
      cp.close();
    }
    if (app != null) {
      app.stop(0);
    }
  }

  @Test
  void adminPortListensOnEveryInterfaceByDefaultAndTheLocalApiOnTheLoopback() throws Exception {
    cp = TestControlPlane.start(Duration.ofSeconds(5), 0);
    children = new Children(dir);
    app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    app.createContext("/", x -> {
      x.sendResponseHeaders(200, -1);
      x.close();
    });
    app.start();
    Children.Child sidecar = children.start("sidecar", "dev.vertice.launcher.SidecarCommand", List.of(
        "--service-name", "orders", "--port", Integer.toString(app.getAddress().getPort()), "--control-plane",
        cp.address(), "--api-port", "0", "--admin-port", "0"));
    int admin;
    try {
      admin = Integer.parseInt(sidecar.await(Pattern.compile("admin: http://0\\.0\\.0\\.0:(\\d+)/metrics"),
          Duration.ofSeconds(30)));
    } catch (AssertionError e) {
      throw new AssertionError(String.join("\n", sidecar.lines()), e);
    }
    int api = Integer.parseInt(sidecar.await(API, Duration.ofSeconds(30)));

    Await.until("the admin port answers on the loopback", () -> status("127.0.0.1", admin) == 200);
    Optional<InetAddress> external = nonLoopbackAddress();
    if (external.isPresent()) {
      String host = external.get().getHostAddress();
      assertEquals(200, status(host, admin), "the admin port answers on " + host);
      assertTrue(refused(external.get(), api), "the local API does not listen on " + host);
    }
  }

  @Test
  void adminHostNamesTheInterface() throws Exception {
    cp = TestControlPlane.start(Duration.ofSeconds(5), 0);
    children = new Children(dir);
    app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    app.createContext("/", x -> {
      x.sendResponseHeaders(200, -1);
      x.close();
    });
    app.start();
    Optional<InetAddress> external = nonLoopbackAddress();
    // The loopback-only setting: then the admin port is not reachable from elsewhere.
    Children.Child sidecar = children.start("sidecar", "dev.vertice.launcher.SidecarCommand", List.of(
        "--service-name", "orders", "--port", Integer.toString(app.getAddress().getPort()), "--control-plane",
        cp.address(), "--api-port", "0", "--admin-port", "0", "--admin-host", "127.0.0.1"));
    int admin = Integer.parseInt(sidecar.await(Pattern.compile("admin: http://127\\.0\\.0\\.1:(\\d+)/metrics"),
        Duration.ofSeconds(30)));
    Await.until("the admin port answers on the loopback", () -> status("127.0.0.1", admin) == 200);
    if (external.isPresent()) {
      assertTrue(refused(external.get(), admin), "the admin port does not listen on " + external.get());
    }
  }

  private int status(String host, int port) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/healthz"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static boolean refused(InetAddress address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 2_000);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** An IPv4 address of this host other than the loopback, when it has one. */
  private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
    return NetworkInterface.networkInterfaces().filter(i -> {
      try {
        return i.isUp() && !i.isLoopback();
      } catch (IOException e) {
        return false;
      }
    }).flatMap(NetworkInterface::inetAddresses).filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
        .findFirst();
  }
}
