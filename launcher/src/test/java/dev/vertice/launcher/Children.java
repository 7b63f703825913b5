package dev.vertice.launcher;

import dev.vertice.testkit.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code Children} starts child JVMs on this test's class path (demo apps, sidecars), each logging
 * to a file, and kills whatever is left on {@link #close()}.
 */
final class Children implements AutoCloseable {

  private static final Pattern APP = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern API = Pattern.compile("local API on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern ADMIN = Pattern.compile("admin: http://127\\.0\\.0\\.1:(\\d+)/metrics");

  /** A started child and its log. */
  record Child(Process process, Path log) {
    /** Returns the first group of the first log line matching {@code p}, waiting for it. */
    String await(Pattern p, Duration timeout) {
      return Await.value("a line matching " + p + " in " + log, timeout, () -> {
        for (String line : lines()) {
          Matcher m = p.matcher(line);
          if (m.find()) {
            return m.groupCount() > 0 ? m.group(1) : line;
          }
        }
        return null;
      });
    }

    List<String> lines() {
      try {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return List.of();
      }
    }

    long pid() {
      return process.pid();
    }
  }

  private final Path dir;
  private final List<Process> processes = new ArrayList<>();
  private int n;

  Children(Path dir) {
    this.dir = dir;
  }

  /** Starts {@code mainClass} with small-heap JVM flags and {@code args}. */
  Child start(String name, String mainClass, List<String> args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(args);
    Path log = dir.resolve(name + "-" + (++n) + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    return new Child(p, log);
  }

  /** Starts a demo app process serving {@code args}; returns it once it listens, with its port. */
  App app(List<String> args) throws IOException {
    List<String> all = new ArrayList<>(args);
    Child c = start("app", DemoCommand.class.getName(), all);
    App app = new App(c, Integer.parseInt(c.await(APP, Duration.ofSeconds(30))));
    // A fresh JVM answers its first request slowly (class loading): warm it up, as a running app would be,
    // so that the sidecars' short test probe timeouts measure the sidecar, not the app's cold start.
    warm(app.port());
    return app;
  }

  /** Starts a sidecar process; returns it once its local API and admin port listen, with those ports. */
  SidecarProcess sidecar(List<String> args) throws IOException {
    List<String> all = new ArrayList<>(List.of("--api-port", "0", "--admin-host", "127.0.0.1", "--admin-port", "0"));
    all.addAll(args);
    Child c = start("sidecar", "dev.vertice.launcher.SidecarCommand", all);
    int api = Integer.parseInt(c.await(API, Duration.ofSeconds(30)));
    return new SidecarProcess(c, api, Integer.parseInt(c.await(ADMIN, Duration.ofSeconds(30))));
  }

  /**
   * Starts one demo app process serving every service in {@code services} on free ports; returns
   * each service's port, in order, once all listen.
   */
  List<Integer> apps(Child[] started, List<String> services) throws IOException {
    Child c = start("apps", DemoCommand.class.getName(), List.of("--service", String.join(",", services),
        "--port", "0"));
    started[0] = c;
    List<Integer> ports = new ArrayList<>();
    for (String s : services) {
      int port = Integer.parseInt(c.await(Pattern.compile("demo " + Pattern.quote(s) + " http " + APP.pattern()),
          Duration.ofSeconds(30)));
      warm(port);
      ports.add(port);
    }
    return ports;
  }

  private static void warm(int port) {
    try {
      java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create(
          "http://127.0.0.1:" + port + "/health").toURL().openConnection();
      c.setConnectTimeout(10_000);
      c.setReadTimeout(10_000);
      c.getResponseCode();
      c.disconnect();
    } catch (IOException e) {
      throw new AssertionError("the app does not answer /health", e);
    }
  }

  record App(Child child, int port) {}

  record SidecarProcess(Child child, int apiPort, int adminPort) {}

  @Override
  public void close() {
    for (Process p : processes) {
      // A sidecar's supervised app (--exec) first: once its parent is killed it would be orphaned.
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    try {
      for (Process p : processes) {
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
