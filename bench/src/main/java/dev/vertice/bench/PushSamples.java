package dev.vertice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * {@code PushSamples} writes the measured changes of {@code bench push --samples FILE} as CSV, one
 * line per change in the order they were made, so that a tail can be lined up with what else
 * happened at that moment (a collector's pause in one of the processes, say).
 */
final class PushSamples {

  /** The CSV header line. */
  static final String HEADER = "target,watchers,connections,start_us,to_last_watcher_us,write_us";

  private PushSamples() {}

  /** Appends one line per sample of {@code target} ("vertice" or "etcd") run with {@code shape}. */
  static void append(Path file, String target, PushBench.Shape shape, List<PushRun.Sample> samples) throws IOException {
    Files.writeString(file, lines(target, shape, samples), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  /** Returns the CSV lines of {@code samples}, each ended by a newline. */
  static String lines(String target, PushBench.Shape shape, List<PushRun.Sample> samples) {
    StringBuilder out = new StringBuilder(samples.size() * 48);
    for (PushRun.Sample s : samples) {
      out.append(target).append(',').append(shape.watchers()).append(',').append(shape.connections()).append(',')
          .append(s.startMicros()).append(',').append(s.toLastNanos() / 1_000).append(',')
          .append(s.writeNanos() / 1_000).append('\n');
    }
    return out.toString();
  }
}
