package dev.vertice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The summary's statistics: medians of the runs, and ratios paired within each round. */
@Timeout(10)
class GatewayBenchSummaryTest {

  /** A 1 s run of {@code rps} requests/s with the given p99 (µs). */
  private static Wrk.Result run(long rps, long p99) {
    return new Wrk.Result(rps, 1_000_000, p99 / 2, p99, p99 * 2, p99 * 3, 0, 0);
  }

  @Test
  void ratiosArePairedWithinEachRoundThenTheMedianIsTaken() {
    // The machine was twice as fast in round 2: each round's ratio is 0.9, 0.8 and 0.7.
    List<Wrk.Result> gateway = List.of(run(900, 3000), run(1600, 1000), run(700, 4000));
    List<Wrk.Result> nginx = List.of(run(1000, 2000), run(2000, 1000), run(1000, 2000));
    assertEquals(0.8, GatewayBench.pairedMedian(gateway, nginx, (a, b) -> a.rps() / b.rps()), 1e-9);
    // Unpaired, the medians would give 900 / 1000 = 0.9.
    assertEquals(900, GatewayBench.median(gateway).rps(), 1e-9);
    assertEquals(1.5, GatewayBench.pairedMedian(gateway, nginx, (a, b) -> (double) a.p99() / b.p99()), 1e-9);
  }

  @Test
  void anEvenNumberOfRoundsTakesTheMeanOfTheMiddleTwo() {
    List<Wrk.Result> a = List.of(run(600, 1), run(900, 1));
    List<Wrk.Result> b = List.of(run(1000, 1), run(1000, 1));
    assertEquals(0.75, GatewayBench.pairedMedian(a, b, (x, y) -> x.rps() / y.rps()), 1e-9);
  }

  @Test
  void theP99AddedIsPairedToo() {
    List<Wrk.Result> gateway = List.of(run(100, 3500), run(100, 2000), run(100, 9000));
    List<Wrk.Result> direct = List.of(run(100, 1500), run(100, 1700), run(100, 1000));
    assertEquals(2.0, GatewayBench.pairedMedian(gateway, direct, (x, y) -> (x.p99() - y.p99()) / 1e3), 1e-9);
  }

  @Test
  void noRoundIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> GatewayBench.pairedMedian(List.of(), List.of(), (x, y) -> 1));
  }
}
