package dev.vertice.chaos;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code FaultLog} is the run's timeline: each fault injected and healed, with its time since the run
 * started; printed as it goes (when given a writer) and kept for the JSON report.
 */
public final class FaultLog {

  private final long t0 = System.nanoTime();
  private final List<String> lines = new ArrayList<>();
  private final PrintWriter out;

  public FaultLog(PrintWriter out) {
    this.out = out;
  }

  /** Records {@code event} now. */
  public synchronized void event(String event) {
    String line = String.format("%8.3f s  %s", (System.nanoTime() - t0) / 1e9, event);
    lines.add(line);
    if (out != null) {
      out.println(line);
      out.flush();
    }
  }

  public synchronized List<String> lines() {
    return List.copyOf(lines);
  }
}
