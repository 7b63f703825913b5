package dev.vertice.interop.polyglot;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * {@code ClientProcess} runs one example client as a child process with {@code --json}, and
 * collects the events it prints (one JSON object per line) for tests to wait on.
 */
final class ClientProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final List<Struct> events = new CopyOnWriteArrayList<>();
  /** Every line either stream printed, for failure messages. */
  private final List<String> transcript = new CopyOnWriteArrayList<>();
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private final List<Thread> followers = new CopyOnWriteArrayList<>();

  private ClientProcess(String name, Process process, Path stdout, Path stderr) {
    this.name = name;
    this.process = process;
    follow(stdout, true);
    follow(stderr, false);
  }

  /**
   * Starts {@code command} in {@code workDir} with {@code env} added to this process's environment.
   * Its output goes to files under {@code logDir} (kept for a look after a failure), which are
   * followed as they grow: reading the pipes directly races with the JDK closing them when the
   * process exits, and loses the last lines.
   */
  static ClientProcess start(String name, List<String> command, Map<String, String> env, Path workDir, Path logDir) {
    try {
      Files.createDirectories(logDir);
      String file = name.replaceAll("[^A-Za-z0-9]+", "-") + "-" + COUNTER.incrementAndGet();
      Path stdout = logDir.resolve(file + ".out");
      Path stderr = logDir.resolve(file + ".err");
      ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
          .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
      pb.environment().putAll(env);
      return new ClientProcess(name, pb.start(), stdout, stderr);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name + ": " + command, e);
    }
  }

  private void follow(Path file, boolean stdout) {
    Thread t = new Thread(() -> {
      ByteArrayOutputStream partial = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try (InputStream in = Files.newInputStream(file)) {
        while (true) {
          boolean exited = !process.isAlive();
          int n = in.read(buf);
          if (n > 0) {
            for (int i = 0; i < n; i++) {
              if (buf[i] == '\n') {
                line(partial.toString(StandardCharsets.UTF_8), stdout);
                partial.reset();
              } else {
                partial.write(buf[i]);
              }
            }
          } else if (exited) {
            // Read to the end after the process exited: nothing more can come.
            if (partial.size() > 0) {
              line(partial.toString(StandardCharsets.UTF_8), stdout);
            }
            return;
          } else {
            Thread.sleep(10);
          }
        }
      } catch (IOException e) {
        transcript.add("[reading " + file + " failed: " + e + "]");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "client-output-" + name);
    t.setDaemon(true);
    t.start();
    followers.add(t);
  }

  private void line(String line, boolean stdout) {
    transcript.add((stdout ? "" : "[stderr] ") + line);
    if (stdout && line.startsWith("{")) {
      events.add(parse(line));
    }
  }

  private static Struct parse(String line) {
    Struct.Builder b = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(line, b);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not a JSON object: " + line, e);
    }
    return b.build();
  }

  /** Returns the number of events printed so far: a mark to wait for later events from. */
  int mark() {
    return events.size();
  }

  /** Returns the events printed from index {@code from} on. */
  List<Struct> eventsFrom(int from) {
    List<Struct> all = new ArrayList<>(events);
    return all.subList(Math.min(from, all.size()), all.size());
  }

  /**
   * Waits until an event at index {@code from} or later has name {@code event} and satisfies {@code
   * condition}, and returns it; fails with the client's output after {@code timeout}, or at once
   * when the process exited.
   */
  Struct await(int from, String event, Predicate<Struct> condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<Struct> found = eventsFrom(from).stream()
          .filter(e -> event.equals(Events.str(e, "event")) && condition.test(e)).findFirst();
      if (found.isPresent()) {
        return found.get();
      }
      if (!process.isAlive()) {
        // Its last lines may not have been read yet: one more look once the readers reached the end.
        joinFollowers();
        found = eventsFrom(from).stream().filter(e -> event.equals(Events.str(e, "event")) && condition.test(e))
            .findFirst();
        if (found.isPresent()) {
          return found.get();
        }
        throw new AssertionError(name + " exited with " + process.exitValue() + " before printing the awaited '"
            + event + "' event; its output:\n" + output());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for a '" + event + "' event from " + name
            + "; its output:\n" + output());
      }
      sleepBriefly(10);
    }
  }

  /** Waits for an event as {@link #await(int, String, Predicate, Duration)}, from the first one on. */
  Struct await(String event, Predicate<Struct> condition, Duration timeout) {
    return await(0, event, condition, timeout);
  }

  /** Returns what the process printed so far. */
  String output() {
    return String.join("\n", transcript);
  }

  /**
   * Stops the client with SIGTERM (its graceful stop) and returns its exit code once everything it
   * printed has been read; kills it (and anything it started) when it has not exited within 15 s.
   */
  int stop() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        kill();
        throw new AssertionError(name + " did not exit within 15 s of SIGTERM; its output:\n" + output());
      }
      joinFollowers(); // its last lines are read once this returns
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
      throw new AssertionError("interrupted while stopping " + name, e);
    }
    return process.exitValue();
  }

  private void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** Waits for the process to exit on its own and returns its exit code, once its output is read. */
  int exitCode(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(name + " still runs after " + timeout + "; its output:\n" + output());
      }
      joinFollowers();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + name, e);
    }
    return process.exitValue();
  }

  /** Waits (up to 5 s each) for the output readers of an exited process to read to the end. */
  private void joinFollowers() {
    for (Thread t : followers) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while reading the output of " + name, e);
      }
    }
  }

  /** Kills the process if it still runs (for {@code @AfterEach}). */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void sleepBriefly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
