package dev.vertice.chaos;

import dev.vertice.common.LocalPorts;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * {@code ChaosRunner} runs scenarios one at a time against a cluster: it starts the load and the churn,
 * lets the cluster settle, runs each scenario, settles again, checks the churn's acknowledged writes and
 * turns the fault window's figures into a {@link ScenarioResult}. It is the {@link ChaosRun} scenarios see.
 * {@link #close()} stops the load, the churn and every victim it started (also from a shutdown hook).
 */
public final class ChaosRunner implements ChaosRun, AutoCloseable {

  /** The service the load targets and victims join. */
  public static final String SERVICE = "test-service";
  /** The victims' lease TTL (the registry's minimum). */
  static final Duration VICTIM_TTL = Duration.ofSeconds(5);
  /** How long a restarted process or a new victim may take to be ready (JVMs start slowly on a loaded machine). */
  static final Duration START_TIMEOUT = Duration.ofSeconds(180);
  /** Starts of a restarted process that exits during its start before the scenario fails. */
  static final int RESTART_ATTEMPTS = 3;

  private final ChaosSettings settings;
  private final ClusterHandle cluster;
  private final FaultLog log;
  private final LoadDriver load;
  private final ChurnWriter churn;
  private final String classPath;
  private final List<ClusterProcess> victims = new CopyOnWriteArrayList<>();
  private final List<Victim> spare = new CopyOnWriteArrayList<>();
  private final List<Long> crashes = new ArrayList<>();
  private volatile boolean stopping;
  private long faultStart;
  private long faultEnd;
  private int victimSeq;

  /**
   * @param classPath the class path of the launcher, for the victims' JVMs
   */
  public ChaosRunner(ClusterHandle cluster, ChaosSettings settings, FaultLog log, String classPath) {
    this.cluster = cluster;
    this.settings = settings;
    this.log = log;
    this.classPath = classPath;
    this.load = new LoadDriver(cluster.gatewayAddresses(), "/" + SERVICE + "/chaos", settings.ratePerGateway());
    this.churn = new ChurnWriter(cluster.controlPlaneTargets(), settings.churnRate(), log);
  }

  /** Starts the load and waits the settle time. */
  public void start() throws InterruptedException {
    load.start();
    log.event("load: " + settings.ratePerGateway() + " requests/s to each of " + cluster.gatewayAddresses()
        + "; churn: " + settings.churnRate() + " writes/s on " + ChurnWriter.SERVICE);
    pause(settings.settle());
  }

  /** Runs {@code scenario} and returns its result. */
  public ScenarioResult run(Scenario scenario) throws InterruptedException {
    synchronized (crashes) {
      crashes.clear();
    }
    faultStart = 0;
    faultEnd = 0;
    long begin = System.nanoTime();
    log.event("scenario " + scenario.name() + ": " + scenario.description());
    ScenarioOutcome outcome;
    try {
      outcome = scenario.run(this);
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      log.event("scenario " + scenario.name() + " failed: " + e);
      outcome = ScenarioOutcome.builder().miss("the scenario failed: " + e).build();
    } finally {
      stopVictims(false);
    }
    if (faultStart == 0) {
      faultStart = begin;
    }
    if (faultEnd == 0) {
      faultEnd = System.nanoTime();
    }
    pause(settings.settle());
    long end = System.nanoTime();
    load.drain();
    List<Long> crashed;
    synchronized (crashes) {
      crashed = List.copyOf(crashes);
    }
    LoadDriver.Window w = load.window(faultStart, end, crashed);
    ChurnWriter.Verdict v = churn.verify();
    log.event("scenario " + scenario.name() + " done: " + w.sent() + " requests, " + w.failedTotal() + " failed "
        + w.failed() + ", " + v.problems().size() + " acknowledged writes lost");
    return ScenarioResult.of(scenario, outcome, w, v, (faultEnd - faultStart) / 1_000_000);
  }

  @Override
  public ChaosSettings settings() {
    return settings;
  }

  @Override
  public ClusterHandle cluster() {
    return cluster;
  }

  @Override
  public LoadDriver load() {
    return load;
  }

  @Override
  public ChurnWriter churn() {
    return churn;
  }

  @Override
  public FaultLog faults() {
    return log;
  }

  @Override
  public void faultBegins(String what) {
    faultStart = System.nanoTime();
    log.event("fault: " + what);
  }

  @Override
  public void faultEnds(String what) {
    faultEnd = System.nanoTime();
    log.event("healed: " + what);
  }

  @Override
  public void crashed(String instanceId) {
    synchronized (crashes) {
      crashes.add(System.nanoTime());
    }
    log.event("crashed: " + instanceId);
  }

  /**
   * Starts {@code n} victims now, before the load (their JVMs start faster on a quiet machine); {@link
   * #startVictim} hands them out first.
   */
  public void prepareVictims(int n) throws Exception {
    List<PendingVictim> started = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      started.add(launchVictim());
    }
    for (PendingVictim v : started) {
      spare.add(awaitRouted(v));
    }
  }

  @Override
  public Victim startVictim() throws Exception {
    if (!spare.isEmpty()) {
      return spare.remove(0);
    }
    return awaitRouted(launchVictim());
  }

  private record PendingVictim(String id, int port, ClusterProcess app, ClusterProcess sidecar) {}

  private PendingVictim launchVictim() throws IOException {
    int port = freePort();
    String id = "chaos-victim-" + ProcessHandle.current().pid() + "-" + (++victimSeq);
    Path logs = cluster.dir().resolve("logs");
    ClusterProcess app = spawn(id + "-app", logs, List.of(java(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Xmx64m", "-cp", classPath, "dev.vertice.launcher.Main", "demo", "--service", SERVICE, "--port",
        Integer.toString(port), "--instance-id", id));
    ClusterProcess sidecar = spawn(id + "-sidecar", logs, List.of(java(), "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-Xmx64m", "-cp", classPath, "dev.vertice.launcher.SidecarCommand",
        "--service-name", SERVICE, "--port", Integer.toString(port), "--instance-id", id, "--control-plane",
        cluster.controlPlaneTargets(), "--ttl", VICTIM_TTL.toSeconds() + "s", "--probe-interval", "1s",
        "--failure-threshold", "2", "--api-port", Integer.toString(freePort()), "--admin-host", "127.0.0.1",
        "--admin-port", Integer.toString(freePort()), "--drain-period", "1s", "--keepalive-interval", "1s"));
    return new PendingVictim(id, port, app, sidecar);
  }

  private Victim awaitRouted(PendingVictim v) throws InterruptedException {
    String id = v.id();
    ClusterProcess app = v.app();
    ClusterProcess sidecar = v.sidecar();
    Path logs = cluster.dir().resolve("logs");
    String hostPort = "127.0.0.1:" + v.port();
    await(id + " routed by both gateways", START_TIMEOUT, () -> {
      if (!app.alive() || !sidecar.alive()) {
        throw new IllegalStateException(id + " exited; see " + logs.resolve(id + "-app.log") + " and -sidecar.log");
      }
      return cluster.gateways().stream().allMatch(g -> Probes.routed(ClusterHandle.adminPort(g), SERVICE)
          .map(l -> l.contains(hostPort)).orElse(false));
    });
    log.event("victim " + id + " at " + hostPort + " in rotation (app pid " + app.pid() + ", sidecar pid "
        + sidecar.pid() + ")");
    return new Victim(id, hostPort, app, sidecar);
  }

  private ClusterProcess spawn(String name, Path logs, List<String> cmd) throws IOException {
    File logFile = logs.resolve(name + ".log").toFile();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    ClusterProcess cp = new ClusterProcess(name, p.toHandle(), List.of(), logFile.toPath());
    victims.add(cp);
    return cp;
  }

  /** Kills the victims a scenario took (all of them, spare ones included, when {@code all}). */
  private void stopVictims(boolean all) {
    for (ClusterProcess v : victims) {
      boolean isSpare = spare.stream().anyMatch(x -> x.app() == v || x.sidecar() == v);
      if (all || !isSpare) {
        v.handle().destroyForcibly();
        victims.remove(v);
      }
    }
  }

  @Override
  public Optional<Duration> awaitOutOfRotation(String hostPort, long since, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && !stopping) {
      boolean out = cluster.gateways().stream().allMatch(g -> Probes.routed(ClusterHandle.adminPort(g), SERVICE)
          .map(l -> !l.contains(hostPort)).orElse(false));
      if (out) {
        return Optional.of(Duration.ofNanos(System.nanoTime() - since));
      }
      Thread.sleep(50);
    }
    return Optional.empty();
  }

  @Override
  public Optional<Duration> awaitConverged(long since, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long target = -1;
    while (System.nanoTime() < deadline && !stopping) {
      List<Probes.PushState> states = new ArrayList<>();
      for (ClusterProcess cp : cluster.controlPlanes()) {
        Probes.pushState(ClusterHandle.adminPort(cp)).ifPresent(states::add);
      }
      if (states.size() == cluster.controlPlanes().size()) {
        long max = states.stream().mapToLong(Probes.PushState::revision).max().orElse(0);
        if (target < 0) {
          // The store's version when every replica first answers after the heal.
          target = max;
        }
        long t = target;
        boolean gatewaysConnected = cluster.gateways().stream().allMatch(
            g -> Probes.connectedControlPlane(ClusterHandle.adminPort(g)).isPresent());
        if (gatewaysConnected && states.stream().allMatch(s -> s.allAt(t))) {
          return Optional.of(Duration.ofNanos(System.nanoTime() - since));
        }
      }
      Thread.sleep(20);
    }
    return Optional.empty();
  }

  @Override
  public void pause(Duration d) throws InterruptedException {
    long deadline = System.nanoTime() + d.toNanos();
    while (!stopping) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      Thread.sleep(Math.min(100, Math.max(1, left / 1_000_000)));
    }
    throw new InterruptedException("the run is stopping");
  }

  /** Waits until {@code ready}, polling; throws when it does not happen within {@code timeout}. */
  void await(String what, Duration timeout, BooleanSupplier ready) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!ready.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not within " + timeout.toSeconds() + " s: " + what);
      }
      if (stopping) {
        throw new InterruptedException("the run is stopping");
      }
      Thread.sleep(50);
    }
  }

  @Override
  public void restart(ClusterProcess p) throws IOException, InterruptedException {
    // A loaded machine can make a control plane give up at start (Sentinel did not answer in time): it
    // is started again, as a supervisor would.
    for (int attempt = 1; ; attempt++) {
      cluster.restart(p);
      log.event("restarted " + p + (attempt > 1 ? " (attempt " + attempt + ")" : ""));
      try {
        awaitStarted(p);
        return;
      } catch (IllegalStateException e) {
        if (p.alive() || attempt == RESTART_ATTEMPTS) {
          throw e;
        }
        log.event(p.name() + " exited during its start; see its log");
      }
    }
  }

  private void awaitStarted(ClusterProcess p) throws InterruptedException {
    if (p.name().startsWith("control-plane")) {
      await(p.name() + " healthy after its restart", START_TIMEOUT, () -> {
        if (!p.alive()) {
          throw new IllegalStateException(p.name() + " exited");
        }
        return Probes.healthy(ClusterHandle.adminPort(p));
      });
    } else if (p.name().startsWith("redis")) {
      int port = p.ports().get(0);
      await(p.name() + " answers PING", START_TIMEOUT,
          () -> Probes.redis(port, "PING").map(r -> r.stream().anyMatch(l -> l.contains("PONG"))).orElse(false));
      Optional<Integer> master = Probes.sentinelMaster(cluster.sentinelPorts());
      if (master.isPresent() && master.get() == port) {
        Probes.redis(port, "REPLICAOF", "NO", "ONE");
      } else if (master.isPresent()) {
        Probes.redis(port, "REPLICAOF", "127.0.0.1", master.get().toString());
      }
    }
  }

  @Override
  public ClusterProcess connectedControlPlane() {
    Optional<String> addr = Probes.connectedControlPlane(ClusterHandle.adminPort(cluster.process("gateway-1")));
    return cluster.controlPlanes().stream().filter(cp -> addr.map(a -> a.endsWith(":" + cp.ports().get(0)))
        .orElse(false)).findFirst().orElse(cluster.process("control-plane-1"));
  }

  /** Marks the run as stopping: pauses and waits end early. */
  public void stop() {
    stopping = true;
  }

  @Override
  public void close() {
    try {
      closeAll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeAll() throws InterruptedException {
    stopping = true;
    stopVictims(true);
    // Whatever a scenario left stopped is continued: a SIGSTOPped process would outlive everything.
    for (ClusterProcess p : cluster.processes().values()) {
      if (p.stopped()) {
        try {
          p.cont();
        } catch (IOException e) {
          log.event("could not continue " + p + ": " + e.getMessage());
        }
      }
    }
    load.close();
    churn.close();
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Ports handed out: victims start in parallel, a port free now may be taken by one not listening yet. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * {@code freePort} returns a loopback port free a moment ago and not handed out before, below the
   * kernel's ephemeral range: the victim binds it later, and an ephemeral port can be taken
   * meanwhile by any outgoing connection (the cluster's own, for one).
   */
  static int freePort() throws IOException {
    return LocalPorts.freeLoopbackPort(HANDED_OUT);
  }
}
