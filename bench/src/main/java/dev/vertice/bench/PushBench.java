package dev.vertice.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code PushBench} measures push latency as users get it: the control plane in its own process,
 * started as {@code ./vertice control-plane} starts it; N watchers in one or more {@code bench
 * watchers} processes on C connections, each decoding every resource and ACKing it; the writer
 * (Register calls, the generated stub) in this process; loopback sockets in between. With {@code
 * --peer etcd}, Debian's etcd in the same run, with jetcd watchers of the same shape and puts as
 * the writes, and the ratio. One change at a time by default; {@code --rate} for an open-loop
 * stream over {@code --services} services, {@code --rate-search} to step the rate up until p99
 * passes {@code --p99-limit-ms}. {@code --in-process} adds the former in-process figure as a
 * secondary row.
 */
@Command(name = "push", mixinStandardHelpOptions = true,
    description = "Push latency from a write to the last of N watchers holding it, control plane and watchers"
        + " in their own processes, etcd beside it with --peer etcd.")
final class PushBench implements Callable<Integer> {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  @Option(names = "--watchers", split = ",", defaultValue = "1,100,1000",
      description = "Watchers per run; a comma-separated list runs each. Default: ${DEFAULT-VALUE}.")
  List<Integer> watchers;

  @Option(names = "--connections", split = ",", defaultValue = "8",
      description = "Client connections the watchers share (at most one per watcher); 'all' is one per watcher"
          + " (a fleet of sidecars), 8 a few gateways multiplexing streams. A list runs each. Default: ${DEFAULT-VALUE}.")
  List<String> connections;

  @Option(names = "--watcher-processes", defaultValue = "1",
      description = "Processes the watchers (and connections) are spread over. Default: ${DEFAULT-VALUE}.")
  int watcherProcesses;

  @Option(names = "--services", defaultValue = "1",
      description = "Services changed in turn, each watched by watchers/services watchers. Default: ${DEFAULT-VALUE}.")
  int services;

  @Option(names = "--rounds", defaultValue = "2000",
      description = "Measured changes per run, one at a time (at 100 watchers 2,000 take about 2 s: with"
          + " fewer, one slow moment makes the p99). Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--warmup-seconds", defaultValue = "60",
      description = "Unmeasured changes first, for this long, on both Vertice and the peer (on 2 cores the JIT"
          + " compiles the push path for well over 20 s in a cold control plane: 60 s measures one that has"
          + " been up a minute): one at a time, or with --rate a stream at the first rate. 0: none."
          + " Default: ${DEFAULT-VALUE}.")
  int warmupSeconds;

  @Option(names = "--rate", split = ",",
      description = "Changes per second of an open-loop stream (instead of one at a time); a list runs each,"
          + " with --rate-search the first is where the search starts.")
  List<Integer> rates;

  @Option(names = "--seconds", defaultValue = "10", description = "Length of each stream step. Default: ${DEFAULT-VALUE}.")
  int seconds;

  @Option(names = "--rate-search",
      description = "Step the stream's rate up (x --rate-factor) until p99 exceeds --p99-limit-ms or a change is lost.")
  boolean rateSearch;

  @Option(names = "--rate-factor", defaultValue = "2", description = "Rate step of --rate-search. Default: ${DEFAULT-VALUE}.")
  double rateFactor;

  @Option(names = "--max-rate", defaultValue = "64000", description = "Highest rate --rate-search tries. Default: ${DEFAULT-VALUE}.")
  int maxRate;

  @Option(names = "--p99-limit-ms", defaultValue = "100",
      description = "The p99 a stream step must stay within to count as sustained. Default: ${DEFAULT-VALUE}.")
  double p99LimitMs;

  @Option(names = "--peer", defaultValue = "none",
      description = "Also run the same shape against a peer in the same invocation: none or etcd (Debian's"
          + " etcd-server, started on free ports). Default: ${DEFAULT-VALUE}.")
  String peer;

  @Option(names = "--in-process", description = "Add the former in-process figure (control plane and watchers in"
      + " this JVM) as a secondary row labelled in-process.")
  boolean inProcess;

  @Option(names = "--watchers-per-connection", defaultValue = "1",
      description = "With --in-process: watch streams sharing one client connection. Default: ${DEFAULT-VALUE}.")
  int perConnection;

  @Option(names = "--store", defaultValue = "memory", description = "With --in-process: " + BenchStore.DESCRIPTION)
  String store;

  @Option(names = "--replicas", defaultValue = "1",
      description = "With --in-process: control-plane replicas sharing a Redis --store. Default: ${DEFAULT-VALUE}.")
  int replicas;

  @Option(names = "--samples", paramLabel = "FILE",
      description = "Also write every measured change of the one-at-a-time runs to FILE (CSV, replaced): target,"
          + " watchers, connections, start_us (wall clock, microseconds since the epoch), to_last_watcher_us,"
          + " write_us; to line the slowest changes up with a GC log (-Xlog:gc:file=...:timemillis), say.")
  Path samplesFile;

  @Option(names = "--json", description = "One JSON object per run on stdout (the table goes to stderr).")
  boolean json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    validate();
    BenchStore on = BenchStore.parse(spec, store);
    boolean etcd = peer.equals("etcd");
    Report report = new Report("push", json);
    Report max = new Report("push", json);
    Report secondary = new Report("push", json);
    Path dir = Files.createTempDirectory("vertice-bench-push");
    try {
      for (int n : watchers) {
        for (String c : connections) {
          int conns = c.equals("all") ? n : Math.min(n, Integer.parseInt(c));
          Shape shape = new Shape(n, conns, Math.min(services, n), watcherProcesses);
          if (rates == null) {
            report.add(oneAtATime(dir, shape, etcd));
          } else {
            streams(dir, shape, etcd, report, max);
          }
        }
      }
      if (inProcess) {
        for (int n : watchers) {
          secondary.add(new InProcessPush(rounds, warmupSeconds, perConnection, replicas).run(on, n));
        }
      }
    } finally {
      deleteTree(dir);
    }
    report.printTable();
    max.printTable();
    secondary.printTable();
    return 0;
  }

  private void validate() {
    for (int n : watchers) {
      if (n <= 0) {
        throw bad("invalid --watchers: " + n + " must be positive");
      }
    }
    for (String c : connections) {
      if (!c.equals("all") && !c.matches("[1-9][0-9]*")) {
        throw bad("invalid --connections: " + c + " must be a positive number or 'all'");
      }
    }
    positive("--rounds", rounds);
    positive("--seconds", seconds);
    positive("--services", services);
    positive("--watcher-processes", watcherProcesses);
    positive("--watchers-per-connection", perConnection);
    if (warmupSeconds < 0 || warmupSeconds > 3600) {
      throw bad("invalid --warmup-seconds: " + warmupSeconds + " must be 0..3600");
    }
    if (!peer.equals("none") && !peer.equals("etcd")) {
      throw bad("invalid --peer: " + peer + " must be none or etcd");
    }
    if (rates != null) {
      for (int r : rates) {
        if (r <= 0 || r > 1_000_000) {
          throw bad("invalid --rate: " + r + " must be 1..1000000 changes per second");
        }
      }
      if (rateSearch) {
        try {
          new RateSteps(rates.get(0), rateFactor, maxRate, p99LimitMs);
        } catch (IllegalArgumentException e) {
          throw bad("invalid --rate-factor or --max-rate: " + e.getMessage());
        }
      }
    } else if (rateSearch) {
      throw bad("--rate-search needs --rate (the first rate)");
    }
    if (samplesFile != null) {
      try { // before anything starts: a path that cannot be written fails now, not after the runs
        Files.writeString(samplesFile, PushSamples.HEADER + "\n");
      } catch (java.io.IOException e) {
        throw bad("invalid --samples: cannot write " + samplesFile + " (" + e + ")");
      }
    }
    if (replicas < 1 || (replicas > 1 && !inProcess)) {
      throw bad("invalid --replicas: " + replicas + " (more than 1 only with --in-process and a Redis --store)");
    }
  }

  private void positive(String flag, int value) {
    if (value <= 0) {
      throw bad("invalid " + flag + ": " + value + " must be positive");
    }
  }

  private CommandLine.ParameterException bad(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  /** Watchers, their connections and processes, and the services they watch. */
  record Shape(int watchers, int connections, int services, int processes) {}

  /** One target of a run, started and watched, ready for changes. */
  private static final class Target implements AutoCloseable {
    final List<AutoCloseable> parts = new ArrayList<>();
    PushRun run;

    @Override
    public void close() {
      for (int i = parts.size() - 1; i >= 0; i--) {
        try {
          parts.get(i).close();
        } catch (Exception e) {
          System.err.println("bench push: stopping: " + e);
        }
      }
    }
  }

  /** Starts a control plane (or etcd), its writer and the watcher fleet. */
  private static Target start(Path dir, Shape shape, boolean etcd) throws Exception {
    Target t = new Target();
    try {
      String tag = (etcd ? "etcd" : "vertice") + "-" + shape.watchers() + "-" + shape.connections();
      ChangeWriter writer;
      List<String> endpoint;
      if (etcd) {
        EtcdProcess e = EtcdProcess.start(dir.resolve(tag));
        t.parts.add(e);
        writer = ChangeWriter.etcd(e.url());
        endpoint = List.of("--etcd", e.url());
      } else {
        VerticeProcess cp = VerticeProcess.start(dir, tag + "-control-plane",
            List.of("control-plane", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0"));
        t.parts.add(cp);
        int port = Integer.parseInt(cp.await(Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)"), START_TIMEOUT));
        writer = ChangeWriter.vertice("127.0.0.1", port);
        endpoint = List.of("--target", "127.0.0.1:" + port);
      }
      t.parts.add(writer);
      PushRun run = new PushRun(writer, null, shape.services());
      run.seed(); // every service exists before its watchers subscribe
      WatcherFleet fleet = new WatcherFleet(dir, tag + "-watchers", endpoint, shape.watchers(), shape.connections(),
          shape.services(), shape.processes());
      t.parts.add(fleet);
      fleet.awaitReady(Duration.ofSeconds(300));
      t.run = new PushRun(writer, fleet.arrivals(), shape.services());
      return t;
    } catch (Exception | Error e) {
      t.close();
      throw e;
    }
  }

  private Map<String, Object> oneAtATime(Path dir, Shape shape, boolean etcd) throws Exception {
    PushRun.Result v;
    try (Target t = start(dir, shape, false)) {
      v = t.run.oneAtATime(Duration.ofSeconds(warmupSeconds), rounds);
    }
    PushRun.Result e = null;
    if (etcd) {
      try (Target t = start(dir, shape, true)) {
        e = t.run.oneAtATime(Duration.ofSeconds(warmupSeconds), rounds);
      }
    }
    if (samplesFile != null) {
      PushSamples.append(samplesFile, "vertice", shape, v.samples());
      if (e != null) {
        PushSamples.append(samplesFile, "etcd", shape, e.samples());
      }
    }
    Map<String, Object> row = shapeRow("out-of-process", shape);
    row.put("rounds", rounds);
    row.put("warmup_s", warmupSeconds);
    latencies(row, "", v.toLastWatcher());
    row.put("register_p50_ms", v.write().millis(0.50));
    row.put("register_p99_ms", v.write().millis(0.99));
    row.put("peer", etcd ? "etcd" : null);
    latencies(row, "peer_", e == null ? null : e.toLastWatcher());
    row.put("peer_put_p50_ms", e == null ? null : e.write().millis(0.50));
    row.put("peer_put_p99_ms", e == null ? null : e.write().millis(0.99));
    ratios(row);
    return row;
  }

  private void streams(Path dir, Shape shape, boolean etcd, Report report, Report max) throws Exception {
    PushRun.Result[] warmups = new PushRun.Result[2];
    Map<Integer, PushRun.Result> vertice = stepRates(dir, shape, false, warmups, 0);
    Map<Integer, PushRun.Result> peerResults = etcd ? stepRates(dir, shape, true, warmups, 1) : Map.of();
    List<Integer> all = new ArrayList<>(vertice.keySet());
    peerResults.keySet().stream().filter(r -> !all.contains(r)).forEach(all::add);
    all.sort(Integer::compare);
    int sustained = 0;
    int peerSustained = 0;
    for (int rate : all) {
      PushRun.Result v = vertice.get(rate);
      PushRun.Result e = peerResults.get(rate);
      Map<String, Object> row = shapeRow("stream", shape);
      row.put("rate", rate);
      row.put("seconds", seconds);
      row.put("warmup_s", warmupSeconds);
      // The warm-up stream runs at the first rate, unmeasured; its own p99 shows how cold the start was.
      row.put("warmup_rate", warmupSeconds > 0 ? rates.get(0) : null);
      row.put("warmup_p99_ms", warmups[0] == null ? null : warmups[0].toLastWatcher().millis(0.99));
      row.put("changes", v == null ? null : v.changes());
      row.put("achieved_rate", v == null ? null : Math.round(v.achievedRate() * 10) / 10.0);
      row.put("lost", v == null ? null : v.lost());
      latencies(row, "", v == null ? null : v.toLastWatcher());
      row.put("sustained", v == null ? null : held(v) ? "yes" : "no");
      row.put("peer", etcd ? "etcd" : null);
      row.put("peer_changes", e == null ? null : e.changes());
      row.put("peer_lost", e == null ? null : e.lost());
      latencies(row, "peer_", e == null ? null : e.toLastWatcher());
      row.put("peer_sustained", e == null ? null : held(e) ? "yes" : "no");
      row.put("peer_warmup_p99_ms", warmups[1] == null ? null : warmups[1].toLastWatcher().millis(0.99));
      ratios(row);
      report.add(row);
      sustained = v != null && held(v) ? Math.max(sustained, rate) : sustained;
      peerSustained = e != null && held(e) ? Math.max(peerSustained, rate) : peerSustained;
    }
    if (rateSearch) {
      Map<String, Object> row = shapeRow("stream-max", shape);
      row.put("p99_limit_ms", p99LimitMs);
      row.put("max_sustained_rate", sustained);
      row.put("peer", etcd ? "etcd" : null);
      row.put("peer_max_sustained_rate", etcd ? peerSustained : null);
      max.add(row);
    }
  }

  private boolean held(PushRun.Result r) {
    return r.lost() == 0 && r.toLastWatcher().count() > 0 && r.toLastWatcher().millis(0.99) <= p99LimitMs;
  }

  /**
   * Runs the stream steps on one target (one process set for every step), after one unmeasured
   * warm-up stream at the first rate for {@code --warmup-seconds}, whose result goes to {@code
   * warmups[slot]}, and one awaited change per service.
   */
  private Map<Integer, PushRun.Result> stepRates(Path dir, Shape shape, boolean etcd, PushRun.Result[] warmups,
      int slot) throws Exception {
    Map<Integer, PushRun.Result> out = new LinkedHashMap<>();
    try (Target t = start(dir, shape, etcd)) {
      if (warmupSeconds > 0) {
        warmups[slot] = t.run.stream(rates.get(0), Duration.ofSeconds(warmupSeconds));
        // A cold target can fall seconds behind its warm-up (changes past the wait are forgotten, not
        // finished): one change per service, each awaited, so the first step starts with nothing queued.
        t.run.oneAtATime(Duration.ZERO, shape.services());
      }
      if (rateSearch) {
        RateSteps steps = new RateSteps(rates.get(0), rateFactor, maxRate, p99LimitMs);
        while (steps.next().isPresent()) {
          int rate = steps.next().getAsInt();
          PushRun.Result r = t.run.stream(rate, Duration.ofSeconds(seconds));
          out.put(rate, r);
          Double p99 = r.toLastWatcher().millis(0.99);
          steps.record(p99 == null ? Double.MAX_VALUE : p99, r.lost() == 0);
        }
      } else {
        for (int rate : rates) {
          out.put(rate, t.run.stream(rate, Duration.ofSeconds(seconds)));
        }
      }
    }
    return out;
  }

  private static Map<String, Object> shapeRow(String mode, Shape shape) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("mode", mode);
    row.put("watchers", shape.watchers());
    row.put("connections", shape.connections());
    row.put("watcher_processes", Math.min(shape.processes(), shape.connections()));
    row.put("services", shape.services());
    return row;
  }

  private static void latencies(Map<String, Object> row, String prefix, Latencies l) {
    row.put(prefix + "p50_ms", l == null ? null : l.millis(0.50));
    row.put(prefix + "p99_ms", l == null ? null : l.millis(0.99));
    row.put(prefix + "p999_ms", l == null ? null : l.p999Millis());
    row.put(prefix + "max_ms", l == null ? null : l.maxMillis());
  }

  private static void ratios(Map<String, Object> row) {
    row.put("p50_vs_peer", Latencies.ratio((Double) row.get("p50_ms"), (Double) row.get("peer_p50_ms")));
    row.put("p99_vs_peer", Latencies.ratio((Double) row.get("p99_ms"), (Double) row.get("peer_p99_ms")));
  }

  static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      System.err.println("bench push: could not delete " + dir + ": " + e.getMessage());
    }
  }
}
