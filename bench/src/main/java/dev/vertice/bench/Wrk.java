package dev.vertice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code Wrk} runs the wrk load generator (Debian package {@code wrk}) as a child process at a
 * fixed concurrency and reads its exact latency quantiles through a Lua {@code done()} hook: wrk
 * records every request's latency at microsecond resolution, so p50/p99/p99.9 are read from the
 * whole recording, not estimated.
 */
final class Wrk {

  /** One run's result; latencies in microseconds. */
  record Result(long requests, long durationMicros, long p50, long p99, long p999, long max, long socketErrors,
      long non2xx) {
    double rps() {
      return requests / (durationMicros / 1e6);
    }
  }

  static final Path BINARY = Path.of("/usr/bin/wrk");

  private static final String SCRIPT = String.join("\n",
      "done = function(summary, latency, requests)",
      "  local e = summary.errors",
      "  io.write(string.format(\"VERTICE_WRK %d %d %d %d %d %d %d %d\\n\", summary.requests, summary.duration,",
      "    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,",
      "    e.connect + e.read + e.write + e.timeout, e.status))",
      "end",
      "");

  private Wrk() {}

  /** Fails with a clear message when wrk is not installed. */
  static void requireInstalled() {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException("wrk is not installed (" + BINARY + "): apt-get install wrk");
    }
  }

  /**
   * Runs wrk against {@code url} with {@code connections} connections on {@code threads} threads for
   * {@code seconds}.
   */
  static Result run(String url, int threads, int connections, int seconds, Path workDir)
      throws IOException, InterruptedException {
    Path script = workDir.resolve("done.lua");
    Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
    Process p = new ProcessBuilder(List.of(BINARY.toString(), "-t", Integer.toString(threads), "-c",
        Integer.toString(connections), "-d", seconds + "s", "--timeout", "10s", "-s", script.toString(), url))
        .redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
        throw new IOException("wrk did not finish");
      }
      for (String line : out.split("\n")) {
        if (line.startsWith("VERTICE_WRK ")) {
          String[] f = line.trim().split(" ");
          return new Result(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
              Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]));
        }
      }
      throw new IOException("wrk exited with " + p.exitValue() + " and no result:\n" + out);
    } finally {
      p.destroyForcibly();
    }
  }
}
