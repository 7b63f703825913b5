package dev.vertice.launcher;

import dev.vertice.common.LocalPorts;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ClusterCommand} runs the compose topology as local processes: redis-server with one
 * replica and three redis-sentinel processes (Debian's packages), three control-plane replicas on
 * Redis through Sentinel, two gateways, and the demo services behind sidecars (one JVM). Ports,
 * pid files and logs live in a run directory ({@link ClusterState}); {@code up} returns once
 * everything is ready, {@code status} ({@link ClusterStatusCommand}) shows each process and the
 * registry, {@code down} stops them all; {@code services} ({@link ClusterServicesCommand}) is the
 * demo services' JVM. This class starts and stops the processes.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "A local HA cluster of processes (no containers): Redis + replica + 3 Sentinels, 3 control-plane"
        + " replicas, 2 gateways, demo services behind sidecars.",
    subcommands = {ClusterCommand.Up.class, ClusterStatusCommand.class, ClusterCommand.Down.class,
        ClusterServicesCommand.class})
public final class ClusterCommand implements Runnable {

  /** The main class of the cluster's Java processes: {@link Main}, named so that this class does not load it. */
  static final String MAIN = "dev.vertice.launcher.Main";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Starts the cluster. */
  @Command(name = "up", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Starts every process in the background, waits until all are ready, prints where they listen.",
      footer = {"", "Exit codes: 0 once ready, 1 when something did not start (its log is named), 2 on invalid"
          + " configuration."})
  static final class Up implements Callable<Integer> {

    @CommandLine.Mixin
    ClusterState.DirOption dirOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--base-port", defaultValue = "${env:VERTICE_CLUSTER_BASE_PORT:-0}",
        description = "First of 17 consecutive ports (Redis, its replica, 3 Sentinels, 3 control planes, their 3"
            + " admin ports, 2 gateways, their 2 gRPC ports, their 2 admin ports); 0 picks free ports"
            + " below the kernel's ephemeral range"
            + " (VERTICE_CLUSTER_BASE_PORT)."
            + " Default: ${DEFAULT-VALUE}.")
    int basePort;

    @Option(names = "--services", split = ",", defaultValue = "${env:VERTICE_CLUSTER_SERVICES:-seed}",
        description = "Demo services; 'seed' stands for the seed's 22 (VERTICE_CLUSTER_SERVICES). Default: ${DEFAULT-VALUE}.")
    List<String> services;

    @Option(names = "--candidates", split = ",",
        defaultValue = "${env:VERTICE_CLUSTER_CANDIDATES:-test-service}",
        description = "Services that also get a v2 instance; 'none' for none (VERTICE_CLUSTER_CANDIDATES)."
            + " Default: ${DEFAULT-VALUE}.")
    List<String> candidates;

    @Option(names = "--ready-timeout", defaultValue = "${env:VERTICE_CLUSTER_READY_TIMEOUT:-120s}",
        converter = DurationConverter.class,
        description = "Longest wait for each step (VERTICE_CLUSTER_READY_TIMEOUT). Default: ${DEFAULT-VALUE}.")
    Duration readyTimeout;

    private Path dir;
    private final Properties state = new Properties();

    @Override
    public Integer call() throws Exception {
      long t0 = System.nanoTime();
      PrintWriter out = spec.commandLine().getOut();
      check("--base-port", basePort == 0 || (basePort >= 1024 && basePort + 16 <= 65535),
          basePort + " is outside 1024..65519 (0 picks free ports)");
      List<String> names;
      try {
        names = ClusterState.serviceNames(services);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid --services: " + e.getMessage());
      }
      List<String> v2 = new ArrayList<>();
      for (String s : candidates) {
        String n = s.strip();
        if (!n.isEmpty() && !n.equals("none")) {
          check("--candidates", names.contains(n), "'" + n + "' is not one of --services");
          v2.add(n);
        }
      }
      dir = dirOption.dir.toAbsolutePath();
      for (ClusterState.Proc p : ClusterState.read(dir)) {
        if (p.alive()) {
          spec.commandLine().getErr().println("a cluster already runs from " + dir + " (" + p.name() + " is pid "
              + p.pid() + "): ./vertice cluster down --dir " + dirOption.dir + " first");
          return 1;
        }
      }
      for (String bin : List.of("/usr/bin/redis-server", "/usr/bin/redis-sentinel")) {
        if (!Files.isExecutable(Path.of(bin))) {
          spec.commandLine().getErr().println(bin + " is not installed: apt-get install redis-server redis-sentinel");
          return 1;
        }
      }
      Files.createDirectories(dir.resolve("logs"));
      Files.deleteIfExists(dir.resolve(ClusterState.STATE));
      // redis, replica, 3 sentinels, 3 control planes + their admin ports, 2 gateways + gRPC + admin ports
      int[] ports = new int[17];
      java.util.Set<Integer> chosen = new java.util.HashSet<>();
      for (int i = 0; i < ports.length; i++) {
        ports[i] = basePort == 0 ? freePort(chosen) : basePort + i;
      }
      int redis = ports[0];
      int replica = ports[1];
      String sentinels = "127.0.0.1:" + ports[2] + ",127.0.0.1:" + ports[3] + ",127.0.0.1:" + ports[4];
      String cps = "127.0.0.1:" + ports[5] + ",127.0.0.1:" + ports[6] + ",127.0.0.1:" + ports[7];
      state.setProperty("sentinels", sentinels);
      state.setProperty("control-planes", cps);
      state.setProperty("gateways", "127.0.0.1:" + ports[11] + ",127.0.0.1:" + ports[12]);
      state.setProperty("services.list", String.join(",", names));
      state.setProperty("services.expected-instances", Integer.toString(names.size() + v2.size()));
      try {
        startRedis("redis-master", redis, null);
        startRedis("redis-replica", replica, redis);
        for (int i = 0; i < 3; i++) {
          startSentinel("sentinel-" + (i + 1), ports[2 + i], redis);
        }
        for (int i = 0; i < 3; i++) {
          String name = "control-plane-" + (i + 1);
          int admin = ports[8 + i];
          startJava(name, ports[5 + i] + "," + admin, "control-plane", "--host", "127.0.0.1", "--port",
              Integer.toString(ports[5 + i]), "--admin-port", Integer.toString(admin), "--store",
              "redis-sentinel://" + sentinels + "/" + ClusterState.MASTER);
        }
        for (int i = 0; i < 3; i++) {
          int admin = ports[8 + i];
          await("control-plane-" + (i + 1), () -> ClusterProbes.httpStatus("http://127.0.0.1:" + admin + "/healthz") == 200);
        }
        for (int i = 0; i < 2; i++) {
          String name = "gateway-" + (i + 1);
          startJava(name, ports[11 + i] + "," + ports[13 + i] + "," + ports[15 + i], "gateway", "--host", "127.0.0.1",
              "--port", Integer.toString(ports[11 + i]), "--grpc-port", Integer.toString(ports[13 + i]),
              "--admin-port", Integer.toString(ports[15 + i]), "--control-plane", cps, "--node-id", name,
              // Layer 2 of the health check, shared by both gateways (database 1: apart from the store's
              // keys), so that its metrics and the HealthCacheRedisLayerDown alert mean something here.
              "--health-check-redis", "redis://127.0.0.1:" + redis + "/1");
        }
        for (int i = 0; i < 2; i++) {
          int admin = ports[15 + i]; // the status page is served on the admin port, not the public one
          await("gateway-" + (i + 1), () -> ClusterProbes.httpStatus("http://127.0.0.1:" + admin + "/gateway/status") == 200);
        }
        List<String> args = new ArrayList<>(List.of("cluster", "services", "--control-plane", cps, "--services",
            String.join(",", names)));
        if (!v2.isEmpty()) {
          args.addAll(List.of("--candidates", String.join(",", v2)));
        }
        startJava("services", "", args.toArray(String[]::new));
        int expected = names.size() + v2.size();
        await("services", () -> ClusterProbes.registry(cps).map(r -> ClusterProbes.instances(r) >= expected).orElse(false));
      } catch (StartFailure e) {
        spec.commandLine().getErr().println("cluster up failed: " + e.getMessage());
        new Down().stopAll(dir, spec.commandLine().getErr());
        return 1;
      }
      out.printf("vertice cluster up in %d ms (run directory %s)%n", (System.nanoTime() - t0) / 1_000_000, dir);
      out.println("  gateways:        http://127.0.0.1:" + ports[11] + "  http://127.0.0.1:" + ports[12]);
      out.println("  control planes:  " + cps + "  (metrics http://127.0.0.1:" + ports[8] + "/metrics, :" + ports[9]
          + ", :" + ports[10] + ")");
      out.println("  redis:           127.0.0.1:" + redis + " (replica 127.0.0.1:" + replica + "), sentinels "
          + sentinels + ", master name " + ClusterState.MASTER);
      out.println("  try:             curl http://127.0.0.1:" + ports[11] + "/" + names.get(names.size() - 1) + "/hello");
      out.println("  ./vertice cluster status --dir " + dirOption.dir + "    ./vertice cluster down --dir "
          + dirOption.dir);
      out.println("  WARNING:         plaintext, no auth: a local trial on 127.0.0.1; production control planes take"
          + " --tls-cert/--tls-key (each replica's log warns too)");
      out.flush();
      return 0;
    }

    private void startRedis(String name, int port, Integer replicaOf) throws IOException, StartFailure,
        InterruptedException {
      Path data = dir.resolve(name);
      Files.createDirectories(data);
      List<String> cmd = new ArrayList<>(List.of("/usr/bin/redis-server", "--port", Integer.toString(port), "--bind",
          "127.0.0.1", "--dir", data.toString(), "--appendonly", "yes", "--save", "", "--protected-mode", "no",
          "--daemonize", "no", "--repl-diskless-sync-delay", "0"));
      if (replicaOf != null) {
        cmd.addAll(List.of("--replicaof", "127.0.0.1", replicaOf.toString()));
      }
      start(name, Integer.toString(port), cmd);
      await(name, () -> "+PONG".equals(ClusterProbes.redisCommand(port, "PING")));
    }

    private void startSentinel(String name, int port, int master) throws IOException, StartFailure,
        InterruptedException {
      Path data = dir.resolve(name);
      Files.createDirectories(data);
      Path conf = data.resolve("sentinel.conf");
      Files.writeString(conf, String.join("\n", "port " + port, "bind 127.0.0.1", "protected-mode no",
          "dir " + data, "sentinel monitor " + ClusterState.MASTER + " 127.0.0.1 " + master + " 2",
          "sentinel down-after-milliseconds " + ClusterState.MASTER + " 1000",
          "sentinel failover-timeout " + ClusterState.MASTER + " 5000",
          "sentinel parallel-syncs " + ClusterState.MASTER + " 1", ""));
      start(name, Integer.toString(port), List.of("/usr/bin/redis-sentinel", conf.toString()));
      await(name, () -> "+PONG".equals(ClusterProbes.redisCommand(port, "PING")));
    }

    private void startJava(String name, String ports, String... args) throws IOException, StartFailure {
      List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-Xmx256m", "-cp", System.getProperty("java.class.path"), MAIN));
      cmd.addAll(List.of(args));
      start(name, ports, cmd);
    }

    private void start(String name, String ports, List<String> command) throws IOException, StartFailure {
      List<String> cmd = new ArrayList<>();
      // Own session: Ctrl-C in the terminal that ran "up" does not reach the cluster.
      if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
        cmd.add("/usr/bin/setsid");
      }
      cmd.addAll(command);
      Path log = dir.resolve("logs").resolve(name + ".log");
      Process p;
      try {
        p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
      } catch (IOException e) {
        throw new StartFailure(name + ": " + e.getMessage());
      }
      long start = p.toHandle().info().startInstant().map(java.time.Instant::toEpochMilli)
          .orElse(System.currentTimeMillis());
      state.setProperty(name + ".pid", Long.toString(p.pid()));
      state.setProperty(name + ".start", Long.toString(start));
      state.setProperty(name + ".ports", ports);
      state.setProperty(name + ".log", log.toString());
      try (Writer w = Files.newBufferedWriter(dir.resolve(ClusterState.STATE))) {
        state.store(w, "vertice cluster: written by ./vertice cluster up");
      }
    }

    private void await(String name, BooleanSupplier ready) throws StartFailure, InterruptedException {
      long deadline = System.nanoTime() + readyTimeout.toNanos();
      long pid = Long.parseLong(state.getProperty(name + ".pid"));
      while (!ready.getAsBoolean()) {
        if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
          throw new StartFailure(name + " exited; see " + state.getProperty(name + ".log"));
        }
        if (System.nanoTime() > deadline) {
          throw new StartFailure(name + " not ready after " + readyTimeout.toSeconds() + " s; see "
              + state.getProperty(name + ".log"));
        }
        Thread.sleep(50);
      }
    }

    private void check(String option, boolean ok, String problem) {
      if (!ok) {
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + problem);
      }
    }
  }

  /** Stops everything. */
  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Stops every process (SIGTERM, then SIGKILL after 20 s), services first, Redis last.")
  static final class Down implements Callable<Integer> {

    @CommandLine.Mixin
    ClusterState.DirOption dirOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
      Path dir = dirOption.dir.toAbsolutePath();
      int stopped = stopAll(dir, spec.commandLine().getErr());
      spec.commandLine().getOut().println(stopped == 0 ? "nothing runs from " + dir
          : "stopped " + stopped + " processes (logs in " + dir.resolve("logs") + ")");
      return 0;
    }

    int stopAll(Path dir, PrintWriter err) throws IOException, InterruptedException {
      List<ClusterState.Proc> procs = ClusterState.read(dir);
      int stopped = 0;
      // Groups stop together, the callers of each group first.
      List<List<String>> groups = List.of(List.of("services"), List.of("gateway-1", "gateway-2"),
          List.of("control-plane-1", "control-plane-2", "control-plane-3"),
          List.of("sentinel-1", "sentinel-2", "sentinel-3"), List.of("redis-replica", "redis-master"));
      for (List<String> group : groups) {
        List<ProcessHandle> handles = new ArrayList<>();
        for (ClusterState.Proc p : procs) {
          if (group.contains(p.name())) {
            p.handle().ifPresent(h -> {
              h.destroy();
              handles.add(h);
            });
          }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (ProcessHandle h : handles) {
          while (h.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
          }
          if (h.isAlive()) {
            err.println("pid " + h.pid() + " ignored SIGTERM for 20 s: killing it");
            h.destroyForcibly();
          }
          stopped++;
        }
      }
      Files.deleteIfExists(dir.resolve(ClusterState.STATE));
      return stopped;
    }
  }

  /** Thrown when a process of the cluster does not start. */
  static final class StartFailure extends Exception {
    private static final long serialVersionUID = 1L;

    StartFailure(String message) {
      super(message);
    }
  }

  /** The java binary of this JVM, for the cluster's Java processes. */
  static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /**
   * Returns a port free on loopback now and not in {@code chosen} (added to it), below the kernel's
   * ephemeral range: the processes started after it connect to each other meanwhile, and an
   * ephemeral port could be taken by one of those connections before its server binds it.
   */
  static int freePort(java.util.Set<Integer> chosen) throws IOException {
    return LocalPorts.freeLoopbackPort(chosen);
  }
}
