package dev.vertice.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code WatcherFleet} is N watchers spread over one or more {@code ./vertice bench watchers}
 * processes, on C connections in all, watching S services (watcher {@code i} watches service
 * {@code i % S}). Their reports go to an {@link Arrivals}; {@link #close()} closes their stdin and
 * stops them.
 */
final class WatcherFleet implements AutoCloseable {

  /** The watcher processes' heap: small to start, room for 10,000 streams. */
  static final String WATCHER_JAVA_OPTS = "-Xms64m -Xmx2g";

  private final List<VerticeProcess> processes = new ArrayList<>();
  private final List<Thread> readers = new ArrayList<>();
  private final CountDownLatch ready;
  private final Arrivals arrivals;

  /**
   * Starts the fleet against {@code endpoint}: {@code --target host:port} of a control plane or
   * {@code --etcd URL}.
   */
  WatcherFleet(Path dir, String name, List<String> endpoint, int watchers, int connections, int services,
      int processCount) throws IOException {
    int procs = Math.max(1, Math.min(processCount, Math.min(watchers, connections)));
    int[] processesPerService = new int[services];
    this.ready = new CountDownLatch(procs);
    List<int[]> shares = new ArrayList<>();
    for (int p = 0, from = 0; p < procs; p++) {
      int count = watchers / procs + (p < watchers % procs ? 1 : 0);
      int conns = connections / procs + (p < connections % procs ? 1 : 0);
      shares.add(new int[] {from, count, conns});
      boolean[] has = new boolean[services];
      for (int i = from; i < from + count; i++) {
        has[i % services] = true;
      }
      for (int s = 0; s < services; s++) {
        processesPerService[s] += has[s] ? 1 : 0;
      }
      from += count;
    }
    this.arrivals = new Arrivals(processesPerService);
    try {
      for (int p = 0; p < procs; p++) {
        int[] share = shares.get(p);
        List<String> args = new ArrayList<>(List.of("bench", "watchers"));
        args.addAll(endpoint);
        args.addAll(List.of("--from", Integer.toString(share[0]), "--watchers", Integer.toString(share[1]),
            "--connections", Integer.toString(share[2]), "--services", Integer.toString(services)));
        VerticeProcess vp = VerticeProcess.startPiped(dir, name + "-" + p, args, Map.of("JAVA_OPTS", WATCHER_JAVA_OPTS));
        processes.add(vp);
        Thread reader = new Thread(() -> read(vp), name + "-reader-" + p);
        reader.setDaemon(true);
        reader.start();
        readers.add(reader);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private void read(VerticeProcess p) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("ready")) {
          ready.countDown();
        } else {
          arrivals.accept(line);
        }
      }
    } catch (IOException e) {
      // the process ended: close() or a failure that awaitReady reports
    }
  }

  /** Waits until every watcher holds its initial state; throws with the processes' logs if not. */
  void awaitReady(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready.await(100, TimeUnit.MILLISECONDS)) {
      for (VerticeProcess p : processes) {
        if (!p.alive()) {
          throw new IOException("a watcher process exited:\n" + logs());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the watchers were not ready within " + timeout + ":\n" + logs());
      }
    }
  }

  /** Returns the watcher processes' logs (their stderr), for an error message. */
  String logs() {
    StringBuilder sb = new StringBuilder();
    for (VerticeProcess p : processes) {
      try {
        String text = Files.exists(p.log()) ? Files.readString(p.log(), StandardCharsets.UTF_8) : "";
        sb.append(text.length() > 4000 ? text.substring(text.length() - 4000) : text);
      } catch (IOException e) {
        sb.append("(log unreadable: ").append(e.getMessage()).append(')');
      }
    }
    return sb.toString();
  }

  Arrivals arrivals() {
    return arrivals;
  }

  /** Returns the watcher processes' ids. */
  List<Long> pids() {
    return processes.stream().map(VerticeProcess::pid).toList();
  }

  @Override
  public void close() {
    for (VerticeProcess p : processes) {
      try {
        p.stdin().close(); // the watchers exit when their stdin closes
      } catch (IOException e) {
        // already gone
      }
    }
    for (VerticeProcess p : processes) {
      p.close();
    }
  }
}
