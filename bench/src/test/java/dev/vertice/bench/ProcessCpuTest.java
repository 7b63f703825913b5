package dev.vertice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.Await;
import java.time.Duration;
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
        "sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exec sleep 20' & wait")
        .redirectErrorStream(true).start();
    try {
      ProcessHandle parent = shell.toHandle();
      long child = Await.value("the child to use 100 ms of CPU", Duration.ofSeconds(20), () -> parent.children()
          .mapToLong(ProcessCpu::nanos).filter(n -> n >= 100_000_000L).boxed().findFirst().orElse(null));
      long tree = ProcessCpu.nanos(parent);
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
