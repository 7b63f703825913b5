package dev.vertice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The CPU a server process tree used, and its share per request. */
@Timeout(30)
class ProcessCpuTest {

  @Test
  void aChildsCpuCountsForItsParentsTree() throws Exception {
    // A shell that burns CPU in a child of its own (as nginx's master does in its workers), then waits.
    Process shell = new ProcessBuilder("sh", "-c",
        "sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done; exec sleep 20' & wait")
        .redirectErrorStream(true).start();
    try {
      String line = new String(shell.getInputStream().readNBytes(5), StandardCharsets.US_ASCII);
      assertEquals("done\n", line);
      ProcessHandle parent = shell.toHandle();
      long child = parent.children().map(p -> ProcessCpu.nanos(p)).findFirst().orElseThrow();
      long tree = ProcessCpu.nanos(parent);
      assertTrue(child >= 100_000_000L, "the busy child used only " + child + " ns");
      assertTrue(tree >= child, "the tree (" + tree + " ns) counts less than its child (" + child + " ns)");
    } finally {
      shell.descendants().forEach(ProcessHandle::destroyForcibly);
      shell.destroyForcibly();
      assertTrue(shell.waitFor(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void perRequestIsMicrosecondsAndUndefinedWithoutRequests() {
    assertEquals(25.0, ProcessCpu.microsPerRequest(2_500_000_000L, 100_000), 1e-9);
    assertTrue(Double.isNaN(ProcessCpu.microsPerRequest(1_000, 0)));
  }

  @Test
  void theSummaryTakesTheMedianOfTheRoundsThatHadRequests() {
    assertEquals(30.0, GatewayBench.medianOf(Arrays.asList(40.0, Double.NaN, 20.0, 30.0)), 1e-9);
    assertEquals(25.0, GatewayBench.medianOf(List.of(20.0, 30.0)), 1e-9);
    assertTrue(Double.isNaN(GatewayBench.medianOf(List.of(Double.NaN))));
  }
}
