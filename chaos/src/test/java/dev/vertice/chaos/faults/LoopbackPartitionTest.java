package dev.vertice.chaos.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LoopbackPartition} with real iptables rules on loopback (this test needs root, iptables
 * and cgroup v2, and is skipped without them; the refusal is tested everywhere). The partitioned
 * process is a bash child that talks to an echo server through {@code /dev/tcp}; this JVM, the
 * same user, must keep reaching the server.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopbackPartitionTest {

  private ServerSocket echo;
  private Process child;
  private PrintWriter toChild;
  private BufferedReader fromChild;

  @BeforeEach
  void setUp() throws IOException {
    echo = new ServerSocket();
    echo.bind(new InetSocketAddress("127.0.0.1", 0));
    Thread acceptor = new Thread(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread t = new Thread(() -> pump(s), "echo");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "echo-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterEach
  void tearDown() throws IOException {
    if (child != null) {
      child.destroyForcibly();
    }
    echo.close();
    LoopbackPartition.removeLeftovers();
  }

  private static void pump(Socket s) {
    byte[] buf = new byte[1024];
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      for (int n; (n = in.read(buf)) >= 0; ) {
        out.write(buf, 0, n);
      }
    } catch (IOException e) {
      // ended
    }
  }

  /**
   * A bash process holding one connection to the echo server (fd 3). On "old TOKEN" it sends TOKEN
   * on that connection and prints "old ok" once it reads it back within 1 s, else "old timeout"
   * (lines left over from an earlier timeout are skipped); on "new" it opens a second connection
   * (in a child, 1 s at most) and prints "new ok" or "new timeout".
   */
  private void startChild(int port) throws IOException {
    String script = String.join("\n",
        "exec 3<>/dev/tcp/127.0.0.1/" + port + " || exit 1",
        "echo ready",
        "while read cmd token; do",
        "  case $cmd in",
        "    old) echo \"$token\" >&3; r=timeout",
        "         while read -t 1 l <&3; do if [ \"$l\" = \"$token\" ]; then r=ok; break; fi; done",
        "         echo \"old $r\";;",
        "    new) if timeout 1 bash -c 'exec 4<>/dev/tcp/127.0.0.1/" + port + " && echo x >&4 && read -t 1 l <&4'; then"
            + " echo 'new ok'; else echo 'new timeout'; fi;;",
        "  esac",
        "done", "");
    child = new ProcessBuilder("bash", "-c", script).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    toChild = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8);
    fromChild = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("ready", fromChild.readLine());
  }

  private String ask(String command) throws IOException {
    toChild.println(command);
    return fromChild.readLine();
  }

  /** This JVM (same user, other process) sends a line to the echo server and reads it back. */
  private boolean othersStillConnect(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      s.setSoTimeout(2_000);
      s.getOutputStream().write("x\n".getBytes(StandardCharsets.US_ASCII));
      return s.getInputStream().read() == 'x';
    } catch (IOException e) {
      return false;
    }
  }

  private static List<String> iptables(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of(LoopbackPartition.findIptables().orElseThrow(), "-w"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    return p.exitValue() == 0 ? lines : List.of("exit " + p.exitValue());
  }

  @Test
  void partitionCutsOnlyThatProcessOpenAndNewConnectionsAndHealRestoresThem() throws Exception {
    Optional<String> missing = LoopbackPartition.check();
    assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
    int port = echo.getLocalPort();
    startChild(port);
    assertEquals("old ok", ask("old a1"));
    assertEquals("new ok", ask("new"));
    String before = String.join("\n", iptables("-S", "OUTPUT"));

    LoopbackPartition p = LoopbackPartition.isolate("test-bash", child.pid(), List.of(port));
    try {
      assertEquals(1, p.openConnectionsCut(), "the child's connection on fd 3 (the 'new' ones are closed)");
      assertEquals(3, p.rules().size(), "one cgroup rule, two for the open connection");
      List<String> chain = iptables("-S", LoopbackPartition.CHAIN);
      assertEquals(4, chain.size(), String.join("\n", chain)); // -N plus 3 rules
      assertTrue(chain.stream().skip(1).allMatch(r -> r.contains("vertice-chaos:test-bash")), String.join("\n", chain));
      assertTrue(Files.readString(Path.of("/proc", Long.toString(child.pid()), "cgroup"))
          .contains("0::/" + LoopbackPartition.CGROUP_DIR + "/test-bash-" + child.pid()));

      assertEquals("old timeout", ask("old a2"), "the open connection hangs");
      assertEquals("new timeout", ask("new"), "new connections, from the process's children too, get no answer");
      assertTrue(othersStillConnect(port), "another process of the same user is not partitioned");
      assertTrue(child.isAlive());
    } finally {
      p.heal();
    }
    assertEquals("old ok", ask("old a3"), "the connection resumes after the heal (TCP retransmits)");
    assertEquals("new ok", ask("new"));
    assertEquals(List.of("exit 1"), iptables("-S", LoopbackPartition.CHAIN), "the chain is gone");
    assertEquals(before, String.join("\n", iptables("-S", "OUTPUT")), "OUTPUT is as it was");
    assertFalse(Files.exists(LoopbackPartition.cgroup2Root().orElseThrow().resolve(LoopbackPartition.CGROUP_DIR)
        .resolve("test-bash-" + child.pid())));
    p.heal(); // idempotent
  }

  @Test
  void healRemovesOnlyItsOwnRules() throws Exception {
    Optional<String> missing = LoopbackPartition.check();
    assumeTrue(missing.isEmpty(), () -> "skipped: " + missing.orElse(""));
    int port = echo.getLocalPort();
    startChild(port);
    try (LoopbackPartition a = LoopbackPartition.isolate("first", child.pid(), List.of(port))) {
      Process other = new ProcessBuilder("sleep", "30").start();
      try {
        LoopbackPartition b = LoopbackPartition.isolate("second", other.pid(), List.of(port, port + 1));
        b.heal();
        List<String> chain = iptables("-S", LoopbackPartition.CHAIN);
        assertEquals(1 + a.rules().size(), chain.size(), String.join("\n", chain));
        assertTrue(chain.stream().noneMatch(r -> r.contains("vertice-chaos:second")));
        assertEquals("old timeout", ask("old b1"), "the first partition holds");
      } finally {
        other.destroyForcibly();
      }
    }
    assertEquals(List.of("exit 1"), iptables("-S", LoopbackPartition.CHAIN));
  }

  @Test
  void refusesWithAClearMessageWhenNotRootOrWithoutIptablesOrCgroup2() {
    Optional<Path> cg = Optional.of(Path.of("/sys/fs/cgroup"));
    assertTrue(LoopbackPartition.check(1000, Optional.of("/usr/sbin/iptables"), cg).orElseThrow()
        .contains("need root"));
    assertTrue(LoopbackPartition.check(0, Optional.empty(), cg).orElseThrow().contains("apt-get install iptables"));
    assertTrue(LoopbackPartition.check(0, Optional.of("/usr/sbin/iptables"), Optional.empty()).orElseThrow()
        .contains("cgroup v2"));
    assertEquals(Optional.empty(), LoopbackPartition.check(0, Optional.of("/usr/sbin/iptables"), cg));
  }

  @Test
  void impossibleArgumentsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> LoopbackPartition.isolate("a b", 1, List.of(1)));
    assertThrows(IllegalArgumentException.class, () -> LoopbackPartition.isolate("a", 1, List.of()));
    assertThrows(IllegalArgumentException.class, () -> LoopbackPartition.isolate("a", 1,
        List.copyOf(Set.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16))));
  }
}
