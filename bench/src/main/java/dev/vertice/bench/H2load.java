package dev.vertice.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code H2load} runs nghttp2's h2load (Debian package {@code nghttp2-client}) as a child process:
 * HTTP/2 over cleartext by prior knowledge (h2c), gRPC unary calls over h2c ({@link #grpc}), or
 * HTTP/1.1 at a fixed request rate (open loop: a stalled server does not slow the load down, so its
 * stall shows in the latencies instead of hiding in fewer requests). Quantiles are exact, read from
 * h2load's per-request log (start time, status, microseconds to the end of the response).
 */
final class H2load {

  static final Path BINARY = Path.of("/usr/bin/h2load");
  private static final Pattern DATA_BYTES = Pattern.compile("(?m)^traffic:.*\\((\\d+)\\) data\\s*$");

  private H2load() {}

  /** Fails with a clear message when h2load is not installed. */
  static void requireInstalled() {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException("h2load is not installed (" + BINARY + "): apt-get install nghttp2-client");
    }
  }

  /** h2c, closed loop: {@code connections} connections with {@code streams} requests in flight each. */
  static Wrk.Result h2c(String url, int connections, int streams, int seconds, Path workDir)
      throws IOException, InterruptedException {
    return run(List.of("-c", Integer.toString(connections), "-m", Integer.toString(streams), "-t", "1"),
        url, seconds, workDir);
  }

  /**
   * HTTP/1.1 at {@code rate} requests/s in all over {@code connections} connections (h2load's
   * {@code --rps} is per connection, so the rate is split evenly).
   */
  static Wrk.Result fixedRate(String url, int connections, int rate, int seconds, Path workDir)
      throws IOException, InterruptedException {
    int perConnection = Math.max(1, Math.round((float) rate / connections));
    return run(List.of("--h1", "-c", Integer.toString(connections), "-t", "1", "--rps", Integer.toString(perConnection)),
        url, seconds, workDir);
  }

  /**
   * gRPC unary over h2c: every request a POST of {@code call.body()} with {@code call.headers()},
   * {@code streams} in flight per connection; closed loop when {@code rate} is 0, else {@code rate}
   * requests/s in all (split over the connections, as {@link #fixedRate}). A call answered HTTP 200
   * without its message (a failed gRPC status: trailers only, no DATA) counts with the non-2xx: the
   * answers' DATA bytes must hold {@code call.okResponseBytes()} per answered request. Bytes of the
   * requests still in flight when the run ends count too, so up to that many failures could hide.
   */
  static Wrk.Result grpc(String url, GrpcUnary.Call call, int connections, int streams, int rate, int seconds,
      Path workDir) throws IOException, InterruptedException {
    List<String> options = new ArrayList<>(List.of("-c", Integer.toString(connections), "-m", Integer.toString(streams),
        "-t", "1", "-d", call.body().toString()));
    if (rate > 0) {
      options.addAll(List.of("--rps", Integer.toString(Math.max(1, Math.round((float) rate / connections)))));
    }
    for (String h : call.headers()) {
      options.addAll(List.of("-H", h));
    }
    Run run = exec(options, url, seconds, workDir);
    Wrk.Result r = fromLog(run.log(), seconds * 1_000_000L, failed(run.output()));
    long answered = r.requests() - r.non2xx();
    long withMessage = dataBytes(run.output()) / call.okResponseBytes();
    long notOk = Math.max(0, answered - withMessage);
    return new Wrk.Result(r.requests(), r.durationMicros(), r.p50(), r.p99(), r.p999(), r.max(), r.socketErrors(),
        r.non2xx() + notOk);
  }

  /** The DATA bytes received, from h2load's "traffic:" line ("..., 12.3KB (12345) data"). */
  static long dataBytes(String output) throws IOException {
    Matcher m = DATA_BYTES.matcher(output);
    if (!m.find()) {
      throw new IOException("no traffic line in h2load's output:\n" + output);
    }
    return Long.parseLong(m.group(1));
  }

  private record Run(String output, Path log) {}

  private static Wrk.Result run(List<String> options, String url, int seconds, Path workDir)
      throws IOException, InterruptedException {
    Run run = exec(options, url, seconds, workDir);
    return fromLog(run.log(), seconds * 1_000_000L, failed(run.output()));
  }

  private static Run exec(List<String> options, String url, int seconds, Path workDir)
      throws IOException, InterruptedException {
    Path log = workDir.resolve("h2load-requests.tsv");
    Files.deleteIfExists(log);
    List<String> cmd = new ArrayList<>();
    cmd.add(BINARY.toString());
    cmd.addAll(options);
    cmd.addAll(List.of("-D", Integer.toString(seconds), "--log-file", log.toString(), url));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
        throw new IOException("h2load did not finish");
      }
      if (p.exitValue() != 0 || !Files.exists(log)) {
        throw new IOException("h2load exited with " + p.exitValue() + ":\n" + out);
      }
      return new Run(out, log);
    } finally {
      p.destroyForcibly();
    }
  }

  /** The "N failed" and "N errored" counts of h2load's summary line. */
  static long failed(String output) {
    for (String line : output.split("\n")) {
      if (line.startsWith("requests:")) {
        long n = 0;
        String[] parts = line.substring("requests:".length()).split(",");
        for (String part : parts) {
          String[] f = part.trim().split(" ");
          if (f.length == 2 && (f[1].equals("failed") || f[1].equals("errored") || f[1].equals("timeout"))) {
            n = Math.max(n, Long.parseLong(f[0])); // failed counts errored and timed-out requests too
          }
        }
        return n;
      }
    }
    return 0;
  }

  /** Reads a per-request log: every completed request's latency, the non-2xx ones counted apart. */
  static Wrk.Result fromLog(Path log, long durationMicros, long failed) throws IOException {
    long[] lat = new long[1 << 16];
    int n = 0;
    long non2xx = 0;
    try (BufferedReader r = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        String[] f = line.split("\t");
        if (f.length < 3) {
          continue;
        }
        int status = Integer.parseInt(f[1].trim());
        if (status < 200 || status > 299) {
          non2xx++;
        }
        if (n == lat.length) {
          lat = Arrays.copyOf(lat, n * 2);
        }
        lat[n++] = Long.parseLong(f[2].trim());
      }
    }
    if (n == 0) {
      throw new IOException("h2load completed no request");
    }
    long[] sorted = Arrays.copyOf(lat, n);
    Arrays.sort(sorted);
    return new Wrk.Result(n, durationMicros, Report.quantile(sorted, 0.50), Report.quantile(sorted, 0.99),
        Report.quantile(sorted, 0.999), sorted[n - 1], failed, non2xx);
  }
}
