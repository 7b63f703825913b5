package dev.vertice.bench;

import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code ProcessCpu} reads the CPU time (user and system, every thread) a process and its
 * descendants have used so far, as the kernel counts it ({@code /proc/PID/stat} on Linux, through
 * {@link ProcessHandle.Info#totalCpuDuration}). A proxy's CPU over a run divided by the run's
 * requests is its cost per request. On a machine whose load generator, upstream and proxy share
 * the cores, requests/s moves with who got the CPU; this moves much less (it still rises when a
 * process is woken for fewer requests at a time).
 */
final class ProcessCpu {

  private ProcessCpu() {}

  /**
   * {@code nanos} returns the CPU time of {@code process} and its descendants (nginx's workers,
   * say) in nanoseconds; processes that ended, or whose time the system does not tell, count 0.
   */
  static long nanos(ProcessHandle process) {
    return Stream.concat(Stream.of(process), process.descendants())
        .map(p -> p.info().totalCpuDuration())
        .flatMap(Optional::stream)
        .mapToLong(Duration::toNanos)
        .sum();
  }

  /** {@code microsPerRequest} is {@code cpuNanos} spread over {@code requests}; NaN without requests. */
  static double microsPerRequest(long cpuNanos, long requests) {
    return requests <= 0 ? Double.NaN : cpuNanos / 1e3 / requests;
  }
}
