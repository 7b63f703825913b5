package dev.vertice.chaos.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vertice.chaos.faults.FaultProxy.Direction;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LinkRedirect} with real iptables (skipped without root, iptables, cgroup v2 or ss): a
 * bash child's open connection to an echo server is moved through a {@link FaultProxy} with added
 * latency, its new ones go through it too, this JVM's do not, and the heal sends it back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LinkRedirectTest {

  private ServerSocket echo;
  private FaultProxy proxy;
  private Process child;

  @AfterEach
  void tearDown() throws IOException {
    if (child != null) {
      child.destroyForcibly();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (echo != null) {
      echo.close();
    }
    LoopbackPartition.removeLeftovers();
  }

  @Test
  void redirectsOneProcessThroughTheProxyAndHealSendsItBack() throws Exception {
    Optional<String> missing = LoopbackPartition.check();
    assumeTrue(missing.isEmpty() && LinkRedirect.findSs().isPresent(), () -> "skipped: " + missing.orElse("no ss"));
    echo = new ServerSocket();
    echo.bind(new InetSocketAddress("127.0.0.1", 0));
    Thread acceptor = new Thread(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread t = new Thread(() -> {
            byte[] buf = new byte[1024];
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
              }
            } catch (IOException e) {
              // ended
            }
          });
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
    int port = echo.getLocalPort();
    proxy = FaultProxy.start(new InetSocketAddress("127.0.0.1", port));
    proxy.latency(Direction.UPSTREAM, Duration.ofMillis(300));

    // "old": a line on the connection opened at the start (fd 3); "new": a fresh connection, timed in ms.
    String script = String.join("\n",
        "exec 3<>/dev/tcp/127.0.0.1/" + port + " || exit 1", "echo ready",
        "while read cmd; do",
        "  case $cmd in",
        "    old) if echo o >&3 2>/dev/null && read -t 2 l <&3; then echo 'old ok'; else echo 'old broken'; fi;;",
        "    new) t0=$(date +%s%N); if exec 4<>/dev/tcp/127.0.0.1/" + port + " && echo n >&4 && read -t 5 l <&4;"
            + " then echo \"new $(( ($(date +%s%N) - t0) / 1000000 ))\"; else echo 'new failed'; fi; exec 4<&-;;",
        "  esac",
        "done", "");
    child = new ProcessBuilder("bash", "-c", script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    PrintWriter to = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8);
    BufferedReader from = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("ready", from.readLine());
    to.println("old");
    assertEquals("old ok", from.readLine());

    LinkRedirect r = LinkRedirect.redirect("test-bash", child.pid(), Map.of(port, proxy.port()));
    try {
      assertEquals(1, r.connectionsMoved());
      to.println("old");
      assertEquals("old broken", from.readLine(), "the open connection was destroyed");
      to.println("new");
      String answer = from.readLine();
      assertTrue(answer.startsWith("new "), answer);
      long ms = Long.parseLong(answer.substring(4));
      System.out.printf("measured: round trip through the redirect with 300 ms added: %d ms%n", ms);
      assertTrue(ms >= 300, "went through the proxy: " + answer);
      assertEquals(1, proxy.accepted());
      try (Socket s = new Socket()) { // this JVM is not redirected
        s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        s.setSoTimeout(2_000);
        s.getOutputStream().write('x');
        assertEquals('x', s.getInputStream().read());
      }
      assertEquals(1, proxy.accepted());
    } finally {
      r.heal();
    }
    to.println("new");
    String answer = from.readLine();
    assertTrue(answer.startsWith("new "), answer);
    assertEquals(1, proxy.accepted(), "after the heal it connects directly");
  }
}
