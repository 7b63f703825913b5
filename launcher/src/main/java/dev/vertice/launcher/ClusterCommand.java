package dev.vertice.launcher;

import dev.vertice.api.registry.v1.ListServicesRequest;
import dev.vertice.api.registry.v1.ListServicesResponse;
import dev.vertice.api.registry.v1.RegistryServiceGrpc;
import dev.vertice.api.registry.v1.ServiceSummary;
import dev.vertice.demo.SeedServices;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.Writer;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ClusterCommand} runs the compose topology as local processes: redis-server with one
 * replica and three redis-sentinel processes (Debian's packages), three control-plane replicas on
 * Redis through Sentinel, two gateways, and the demo services behind sidecars (one JVM). Ports,
 * pid files and logs live in a run directory; {@code up} returns once everything is ready,
 * {@code status} shows each process and the registry, {@code down} stops them all.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "A local HA cluster of processes (no containers): Redis + replica + 3 Sentinels, 3 control-plane"
        + " replicas, 2 gateways, demo services behind sidecars.",
    subcommands = {ClusterCommand.Up.class, ClusterCommand.Status.class, ClusterCommand.Down.class,
        ClusterCommand.Services.class})
public final class ClusterCommand implements Runnable {

  static final String MASTER = "mymaster";
  static final String STATE = "cluster.properties";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The options every subcommand shares. */
  static class DirOption {
    @Option(names = "--dir", defaultValue = "${env:VERTICE_CLUSTER_DIR:-.run/cluster}",
        description = "Run directory: ports, pid files and logs (VERTICE_CLUSTER_DIR). Default: ${DEFAULT-VALUE}.")
    Path dir;
  }

  /** One process of the cluster, as recorded in the run directory. */
  record Proc(String name, long pid, long startMillis, String ports) {

    Optional<ProcessHandle> handle() {
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> h.info().startInstant()
          .map(i -> Math.abs(i.toEpochMilli() - startMillis) < 2_000).orElse(true));
    }

    boolean alive() {
      return handle().isPresent();
    }
  }

  /** Start order; {@code down} stops in reverse. */
  static final List<String> ORDER = List.of("redis-master", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3",
      "control-plane-1", "control-plane-2", "control-plane-3", "gateway-1", "gateway-2", "services");

  static List<Proc> read(Path dir) throws IOException {
    Path state = dir.resolve(STATE);
    List<Proc> procs = new ArrayList<>();
    if (!Files.exists(state)) {
      return procs;
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(state)) {
      p.load(r);
    }
    for (String name : ORDER) {
      String pid = p.getProperty(name + ".pid");
      if (pid != null) {
        procs.add(new Proc(name, Long.parseLong(pid), Long.parseLong(p.getProperty(name + ".start", "0")),
            p.getProperty(name + ".ports", "")));
      }
    }
    return procs;
  }

  static Properties readProperties(Path dir) throws IOException {
    Properties p = new Properties();
    Path state = dir.resolve(STATE);
    if (Files.exists(state)) {
      try (Reader r = Files.newBufferedReader(state)) {
        p.load(r);
      }
    }
    return p;
  }

  /** Starts the cluster. */
  @Command(name = "up", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Starts every process in the background, waits until all are ready, prints where they listen.",
      footer = {"", "Exit codes: 0 once ready, 1 when something did not start (its log is named), 2 on invalid"
          + " configuration."})
  static final class Up implements Callable<Integer> {

    @CommandLine.Mixin
    DirOption dirOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--base-port", defaultValue = "${env:VERTICE_CLUSTER_BASE_PORT:-0}",
        description = "First of 17 consecutive ports (Redis, its replica, 3 Sentinels, 3 control planes, their 3"
            + " admin ports, 2 gateways, their 2 gRPC ports, their 2 admin ports); 0 picks free ports"
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
      List<String> names = new ArrayList<>();
      for (String s : services) {
        String n = s.strip();
        if (n.equals("seed")) {
          SeedServices.NAMES.stream().filter(x -> !names.contains(x)).forEach(names::add);
        } else if (!n.isEmpty() && !names.contains(n)) {
          check("--services", dev.vertice.common.ServiceNames.isCanonical(n), "'" + n + "' is not a canonical"
              + " service name (" + dev.vertice.common.ServiceNames.describeRule() + ")");
          names.add(n);
        }
      }
      check("--services", !names.isEmpty(), "names no service");
      List<String> v2 = new ArrayList<>();
      for (String s : candidates) {
        String n = s.strip();
        if (!n.isEmpty() && !n.equals("none")) {
          check("--candidates", names.contains(n), "'" + n + "' is not one of --services");
          v2.add(n);
        }
      }
      dir = dirOption.dir.toAbsolutePath();
      for (Proc p : read(dir)) {
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
      Files.deleteIfExists(dir.resolve(STATE));
      // redis, replica, 3 sentinels, 3 control planes + their admin ports, 2 gateways + gRPC + admin ports
      int[] ports = new int[17];
      for (int i = 0; i < ports.length; i++) {
        ports[i] = basePort == 0 ? freePort() : basePort + i;
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
              "redis-sentinel://" + sentinels + "/" + MASTER);
        }
        for (int i = 0; i < 3; i++) {
          int admin = ports[8 + i];
          await("control-plane-" + (i + 1), () -> httpStatus("http://127.0.0.1:" + admin + "/healthz") == 200);
        }
        for (int i = 0; i < 2; i++) {
          String name = "gateway-" + (i + 1);
          startJava(name, ports[11 + i] + "," + ports[13 + i] + "," + ports[15 + i], "gateway", "--host", "127.0.0.1",
              "--port", Integer.toString(ports[11 + i]), "--grpc-port", Integer.toString(ports[13 + i]),
              "--admin-port", Integer.toString(ports[15 + i]), "--control-plane", cps, "--node-id", name);
        }
        for (int i = 0; i < 2; i++) {
          int admin = ports[15 + i]; // the status page is served on the admin port, not the public one
          await("gateway-" + (i + 1), () -> httpStatus("http://127.0.0.1:" + admin + "/gateway/status") == 200);
        }
        List<String> args = new ArrayList<>(List.of("cluster", "services", "--control-plane", cps, "--services",
            String.join(",", names)));
        if (!v2.isEmpty()) {
          args.addAll(List.of("--candidates", String.join(",", v2)));
        }
        startJava("services", "", args.toArray(String[]::new));
        int expected = names.size() + v2.size();
        await("services", () -> registry(cps).map(r -> instances(r) >= expected).orElse(false));
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
          + sentinels + ", master name " + MASTER);
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
      await(name, () -> "+PONG".equals(redisCommand(port, "PING")));
    }

    private void startSentinel(String name, int port, int master) throws IOException, StartFailure,
        InterruptedException {
      Path data = dir.resolve(name);
      Files.createDirectories(data);
      Path conf = data.resolve("sentinel.conf");
      Files.writeString(conf, String.join("\n", "port " + port, "bind 127.0.0.1", "protected-mode no",
          "dir " + data, "sentinel monitor " + MASTER + " 127.0.0.1 " + master + " 2",
          "sentinel down-after-milliseconds " + MASTER + " 1000", "sentinel failover-timeout " + MASTER + " 5000",
          "sentinel parallel-syncs " + MASTER + " 1", ""));
      start(name, Integer.toString(port), List.of("/usr/bin/redis-sentinel", conf.toString()));
      await(name, () -> "+PONG".equals(redisCommand(port, "PING")));
    }

    private void startJava(String name, String ports, String... args) throws IOException, StartFailure {
      List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
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
      try (Writer w = Files.newBufferedWriter(dir.resolve(STATE))) {
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

  /** Shows each process and the registry. */
  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Shows each process (alive or dead, pid, ports), the Redis master as the Sentinels see it, and"
          + " the registry (services and instances) as a control plane reports it.",
      footer = {"", "Exit codes: 0 when every process is alive, 1 otherwise (or when no cluster was started)."})
  static final class Status implements Callable<Integer> {

    @CommandLine.Mixin
    DirOption dirOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      Path dir = dirOption.dir.toAbsolutePath();
      List<Proc> procs = read(dir);
      if (procs.isEmpty()) {
        out.println("no cluster in " + dir + " (./vertice cluster up)");
        return 1;
      }
      boolean all = true;
      out.printf("%-16s %-6s %-8s %s%n", "PROCESS", "STATE", "PID", "PORTS");
      for (Proc p : procs) {
        boolean alive = p.alive();
        all &= alive;
        out.printf("%-16s %-6s %-8d %s%n", p.name(), alive ? "alive" : "dead", p.pid(), p.ports());
      }
      Properties props = readProperties(dir);
      String master = null;
      for (String s : props.getProperty("sentinels", "").split(",")) {
        if (!s.isBlank()) {
          master = sentinelMaster(Integer.parseInt(s.substring(s.lastIndexOf(':') + 1))).orElse(null);
          if (master != null) {
            break;
          }
        }
      }
      out.println("redis master (per Sentinel): " + (master == null ? "unknown (no Sentinel answers)" : master));
      Optional<ListServicesResponse> reg = registry(props.getProperty("control-planes", ""));
      if (reg.isEmpty()) {
        out.println("registry: no control plane answers");
      } else {
        ListServicesResponse r = reg.get();
        out.printf("registry: %d services, %d instances (expected %s), version %s%n", r.getServicesCount(),
            instances(r), props.getProperty("services.expected-instances", "?"), r.getSystemVersion());
        for (ServiceSummary s : r.getServicesList()) {
          out.printf("  %-28s %d%n", s.getService(), s.getInstanceCount());
        }
      }
      out.flush();
      return all ? 0 : 1;
    }
  }

  /** Stops everything. */
  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Stops every process (SIGTERM, then SIGKILL after 20 s), services first, Redis last.")
  static final class Down implements Callable<Integer> {

    @CommandLine.Mixin
    DirOption dirOption;

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
      List<Proc> procs = read(dir);
      int stopped = 0;
      // Groups stop together, the callers of each group first.
      List<List<String>> groups = List.of(List.of("services"), List.of("gateway-1", "gateway-2"),
          List.of("control-plane-1", "control-plane-2", "control-plane-3"),
          List.of("sentinel-1", "sentinel-2", "sentinel-3"), List.of("redis-replica", "redis-master"));
      for (List<String> group : groups) {
        List<ProcessHandle> handles = new ArrayList<>();
        for (Proc p : procs) {
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
      Files.deleteIfExists(dir.resolve(STATE));
      return stopped;
    }
  }

  /** The demo services behind sidecars, one JVM; started by {@code up} and by compose/. */
  @Command(name = "services", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Runs demo HTTP services, each behind its own sidecar, in one JVM until SIGTERM (then the"
          + " sidecars drain and deregister). Used by cluster up and by compose/.",
      footer = {"", "Exit codes: 0 after a clean shutdown, 1 when a port is taken, 2 on invalid configuration."})
  static final class Services implements Callable<Integer> {

    private static final Logger log = Logger.getLogger("vertice.cluster");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--control-plane", defaultValue = "${env:VERTICE_CONTROL_PLANE:-127.0.0.1:7700}",
        description = "Control-plane replicas, host:port,... (VERTICE_CONTROL_PLANE). Default: ${DEFAULT-VALUE}.")
    String controlPlane;

    @Option(names = "--services", split = ",", defaultValue = "${env:VERTICE_SERVICES:-seed}",
        description = "Services, comma-separated; 'seed' stands for the seed's 22 (VERTICE_SERVICES)."
            + " Default: ${DEFAULT-VALUE}.")
    List<String> services;

    @Option(names = "--candidates", split = ",", defaultValue = "${env:VERTICE_CANDIDATES:-}",
        description = "Services that also get a v2 instance (VERTICE_CANDIDATES). Default: none.")
    List<String> candidates;

    @Option(names = "--bind-host", defaultValue = "${env:VERTICE_BIND_HOST:-127.0.0.1}",
        description = "Address the demo apps listen on (VERTICE_BIND_HOST). Default: ${DEFAULT-VALUE}.")
    String bindHost;

    @Option(names = "--address", defaultValue = "${env:VERTICE_ADDRESS:-127.0.0.1}",
        description = "Address the apps are registered and probed at (VERTICE_ADDRESS). Default: ${DEFAULT-VALUE}.")
    String address;

    @Option(names = "--port", defaultValue = "${env:VERTICE_PORT:-0}",
        description = "Port of the first app, the next ones following (v1s, then v2s); 0 picks free ports"
            + " (VERTICE_PORT). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--admin-host", defaultValue = "${env:VERTICE_ADMIN_HOST:-127.0.0.1}",
        description = "Address of the admin port (VERTICE_ADMIN_HOST); 0.0.0.0 lets Prometheus in another container"
            + " scrape it. Default: ${DEFAULT-VALUE}.")
    String adminHost;

    @Option(names = "--admin-port", defaultValue = "${env:VERTICE_ADMIN_PORT:--1}",
        description = "Admin HTTP port serving the sidecars' /metrics (counters summed over them) and /healthz (200"
            + " while every instance is registered); 0 picks a free one, -1 turns it off (VERTICE_ADMIN_PORT)."
            + " Default: ${DEFAULT-VALUE}.")
    int adminPort;

    @Override
    public Integer call() throws Exception {
      List<String> names = new ArrayList<>();
      for (String s : services) {
        String n = s.strip();
        if (n.equals("seed")) {
          SeedServices.NAMES.stream().filter(x -> !names.contains(x)).forEach(names::add);
        } else if (!n.isEmpty() && !names.contains(n)) {
          check("--services", dev.vertice.common.ServiceNames.isCanonical(n), "'" + n + "' is not a canonical"
              + " service name (" + dev.vertice.common.ServiceNames.describeRule() + ")");
          names.add(n);
        }
      }
      check("--services", !names.isEmpty(), "names no service");
      List<String> v2 = candidates.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
      for (String c : v2) {
        check("--candidates", names.contains(c), "'" + c + "' is not one of --services");
      }
      check("--port", port >= 0 && port + names.size() + v2.size() - 1 <= 65535, port + " is outside 0..65535"
          + " (with " + (names.size() + v2.size()) + " apps)");
      check("--bind-host", !bindHost.isBlank(), "is empty");
      check("--admin-host", !adminHost.isBlank(), "is empty");
      check("--admin-port", adminPort >= -1 && adminPort <= 65535, adminPort + " is outside -1..65535");
      check("--address", !address.isBlank(), "is empty");
      try {
        dev.vertice.client.ControlPlaneAddresses.parse(controlPlane);
      } catch (IllegalArgumentException e) {
        check("--control-plane", false, e.getMessage());
      }
      DemoFleet fleet;
      // Off unless the OTEL_* environment configures an exporter: spans the sidecars' control-plane calls.
      dev.vertice.observability.Tracing tracing = dev.vertice.observability.Tracing.fromEnvironment("vertice-demo");
      dev.vertice.observability.Metrics metrics = adminPort >= 0 ? dev.vertice.observability.Metrics.withJvmMetrics()
          : null;
      try {
        fleet = DemoFleet.start(bindHost, address, port, controlPlane, names, v2, Duration.ofSeconds(2), "cluster",
            tracing, metrics == null ? null : metrics.registry());
      } catch (IOException e) {
        tracing.close();
        log.severe("cannot start: " + e.getMessage());
        return 1;
      }
      dev.vertice.observability.AdminServer admin = null;
      if (metrics != null) {
        try {
          admin = dev.vertice.observability.AdminServer.bind(adminHost.strip(), adminPort, metrics,
              () -> fleet.registered() == fleet.members().size()).start();
          log.info("admin: http://" + adminHost.strip() + ":" + admin.port() + "/metrics");
        } catch (IOException | RuntimeException e) {
          fleet.close();
          tracing.close();
          log.severe("cannot listen on admin port " + adminHost + ":" + adminPort + ": " + e.getMessage());
          return 1;
        }
      }
      dev.vertice.observability.AdminServer finalAdmin = admin;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        Logging.shutdownLine(log.getName(), "draining the sidecars");
        fleet.drain(Duration.ofSeconds(5));
        if (finalAdmin != null) {
          finalAdmin.close();
        }
        tracing.close(); // flushes the spans of the drain
        Logging.shutdownLine(log.getName(), "stopped");
        Runtime.getRuntime().halt(0);
      }, "vertice-cluster-services-shutdown"));
      log.info("started " + fleet.members().size() + " demo instances behind sidecars");
      new CountDownLatch(1).await();
      return 0;
    }

    private void check(String option, boolean ok, String problem) {
      if (!ok) {
        throw new CommandLine.ParameterException(spec.commandLine(), "invalid " + option + ": " + problem);
      }
    }
  }

  /** Thrown when a process of the cluster does not start. */
  static final class StartFailure extends Exception {
    private static final long serialVersionUID = 1L;

    StartFailure(String message) {
      super(message);
    }
  }

  static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  static int httpStatus(String url) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(2000);
      try {
        return c.getResponseCode();
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return -1;
    }
  }

  /** Sends one inline command to Redis on loopback and returns the first reply line, or null. */
  static String redisCommand(int port, String command) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(1000);
      OutputStream o = s.getOutputStream();
      o.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
      o.flush();
      return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    } catch (IOException e) {
      return null;
    }
  }

  /** Asks a Sentinel for the master's address ({@code host:port}). */
  static Optional<String> sentinelMaster(int sentinelPort) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", sentinelPort), 500);
      s.setSoTimeout(1000);
      s.getOutputStream().write(("SENTINEL get-master-addr-by-name " + MASTER + "\r\n")
          .getBytes(StandardCharsets.UTF_8));
      BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String head = r.readLine();
      if (head == null || !head.equals("*2")) {
        return Optional.empty();
      }
      r.readLine();
      String host = r.readLine();
      r.readLine();
      String port = r.readLine();
      return Optional.of(host + ":" + port);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Lists the registry from the first control plane of {@code addresses} that answers. */
  static Optional<ListServicesResponse> registry(String addresses) {
    for (String a : addresses.split(",")) {
      if (a.isBlank()) {
        continue;
      }
      ManagedChannel ch = ManagedChannelBuilder.forTarget(a.strip()).usePlaintext().build();
      try {
        return Optional.of(RegistryServiceGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
            .listServices(ListServicesRequest.getDefaultInstance()));
      } catch (RuntimeException e) {
        // next replica
      } finally {
        ch.shutdownNow();
      }
    }
    return Optional.empty();
  }

  static long instances(ListServicesResponse r) {
    return r.getServicesList().stream().mapToLong(ServiceSummary::getInstanceCount).sum();
  }
}
