package dev.vertice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ProcessMemory} reads another JVM's memory: its used heap after full collections (through
 * {@code jcmd PID GC.run} and {@code GC.heap_info}, the JDK's own tool) and its resident set size
 * ({@code VmRSS} of {@code /proc/PID/status}), gRPC and Netty state (direct buffers, threads)
 * included in the latter.
 */
final class ProcessMemory {

  private static final Pattern USED = Pattern.compile("heap\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K");
  private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+)\\s+kB");

  private ProcessMemory() {}

  /** Returns the used heap in bytes of process {@code pid}, the least of a few reads after full collections. */
  static long heapAfterGc(long pid) throws IOException, InterruptedException {
    // One jcmd (a JVM start each, slow on a loaded machine) running the commands from a file.
    Path commands = Files.createTempFile("vertice-bench-jcmd", ".txt");
    try {
      Files.writeString(commands, "GC.run\nGC.heap_info\nGC.run\nGC.heap_info\nGC.run\nGC.heap_info\n",
          StandardCharsets.UTF_8);
      return parseUsedHeap(jcmd(pid, "-f", commands.toString()));
    } finally {
      Files.deleteIfExists(commands);
    }
  }

  /** Returns the least of the heap's {@code used} figures, in bytes, in {@code GC.heap_info} outputs. */
  static long parseUsedHeap(String heapInfo) {
    Matcher m = USED.matcher(heapInfo);
    long least = Long.MAX_VALUE;
    while (m.find()) {
      least = Math.min(least, Long.parseLong(m.group(1)) * 1024);
    }
    if (least == Long.MAX_VALUE) {
      throw new IllegalStateException("no used heap in jcmd GC.heap_info output:\n" + heapInfo);
    }
    return least;
  }

  /** Returns the resident set size in bytes of process {@code pid}. */
  static long rss(long pid) throws IOException {
    return parseRss(Files.readString(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8));
  }

  /** Returns the bytes of {@code VmRSS} in a {@code /proc/PID/status} text. */
  static long parseRss(String status) {
    Matcher m = RSS.matcher(status);
    if (!m.find()) {
      throw new IllegalStateException("no VmRSS in /proc status");
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  private static String jcmd(long pid, String... command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    List<String> cmd = new java.util.ArrayList<>(List.of(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd",
        Long.toString(pid)));
    cmd.addAll(List.of(command));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("jcmd " + pid + " " + String.join(" ", command) + " did not finish within 60 s");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " " + String.join(" ", command) + " failed: " + text);
    }
    return text;
  }
}
