package dev.vertice.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class LocalPortsTest {

  @Test
  void portsAreBelowTheEphemeralRangeAndATakenOneIsSkipped() throws IOException {
    int start = LocalPorts.ephemeralRangeStart();
    List<Integer> tried = new ArrayList<>();
    int bound = LocalPorts.bindBelowEphemeralRange(port -> {
      tried.add(port);
      if (tried.size() < 3) {
        throw new IOException("taken: " + port);
      }
      return port;
    });
    assertEquals(3, tried.size());
    assertEquals(tried.get(2), bound);
    tried.forEach(p -> assertTrue(p >= 10_000 && p < start, p + " not in [10000, " + start + ")"));
  }

  @Test
  void aClosedListenersPortBindsAgain() throws IOException {
    ServerSocket first = LocalPorts.listenOnLoopback();
    int port = first.getLocalPort();
    first.close();
    try (ServerSocket again = new ServerSocket()) {
      again.bind(new InetSocketAddress("127.0.0.1", port));
      assertEquals(port, again.getLocalPort());
    }
  }

  @Test
  void whenNoPortBindsTheLastFailureIsThrown() {
    IOException last = new IOException("always taken");
    assertSame(last, assertThrows(IOException.class, () -> LocalPorts.bindBelowEphemeralRange(port -> {
      throw last;
    })));
  }

  @Test
  void freeLoopbackPortsAreBindableAndNeverHandedOutTwice() throws IOException {
    Set<Integer> handedOut = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      int port = LocalPorts.freeLoopbackPort(handedOut);
      assertTrue(port >= 10_000 && port < LocalPorts.ephemeralRangeStart(), port + " is not below the range");
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress("127.0.0.1", port));
      }
    }
    assertEquals(100, handedOut.size());
  }
}
