package dev.vertice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.common.LocalPorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A peer process that exits while starting is started again; any other failure is not retried; the
 * ports handed out are below the ephemeral range.
 */
@Timeout(10)
class BenchPortsTest {

  @Test
  void aStartThatExitsAtOnceIsTriedAgainUntilOneStarts() throws Exception {
    AtomicInteger tries = new AtomicInteger();
    String started = BenchPorts.onFreePorts(() -> {
      if (tries.incrementAndGet() < 3) {
        throw new BenchPorts.ExitedAtStart("port taken");
      }
      return "up";
    });
    assertEquals("up", started);
    assertEquals(3, tries.get());
  }

  @Test
  void itGivesUpAfterTheLastAttemptWithTheLastReason() {
    AtomicInteger tries = new AtomicInteger();
    BenchPorts.ExitedAtStart e = assertThrows(BenchPorts.ExitedAtStart.class, () -> BenchPorts.onFreePorts(() -> {
      throw new BenchPorts.ExitedAtStart("try " + tries.incrementAndGet());
    }));
    assertEquals(BenchPorts.START_ATTEMPTS, tries.get());
    assertEquals("try " + BenchPorts.START_ATTEMPTS, e.getMessage());
  }

  @Test
  void otherFailuresAreNotRetried() {
    AtomicInteger tries = new AtomicInteger();
    IOException timeout = new IOException("did not answer in time");
    IOException e = assertThrows(IOException.class, () -> BenchPorts.onFreePorts(() -> {
      tries.incrementAndGet();
      throw timeout;
    }));
    assertSame(timeout, e);
    assertEquals(1, tries.get());
  }

  @Test
  void aFreePortIsBelowTheEphemeralRangeAndCanBeBound() throws IOException {
    int port = BenchPorts.free();
    assertTrue(port >= 10_000 && port < LocalPorts.ephemeralRangeStart(), port + " is not below the ephemeral range");
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      assertEquals(port, s.getLocalPort());
    }
  }
}
