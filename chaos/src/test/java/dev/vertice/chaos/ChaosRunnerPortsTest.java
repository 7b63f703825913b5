package dev.vertice.chaos;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.common.LocalPorts;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ports the chaos runner hands its victims are below the ephemeral range and never handed out twice. */
@Timeout(10)
class ChaosRunnerPortsTest {

  @Test
  void victimPortsAreDistinctAndBelowTheEphemeralRange() throws IOException {
    int high = LocalPorts.ephemeralRangeStart();
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = ChaosRunner.freePort();
      assertTrue(port >= 10_000 && port < high, port + " is not below the ephemeral range");
      assertTrue(seen.add(port), "port " + port + " was handed out twice");
    }
  }
}
