package dev.vertice.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code Scenarios} lists every scenario in the order {@code all} runs them, and the short profile's
 * subset. The process scenarios (kills and stops of real processes) are here; each heals what it broke,
 * also when it fails half way.
 */
public final class Scenarios {

  /** The short profile (the test suite's): the connected replica killed, an instance and its sidecar, a stop. */
  public static final List<String> SHORT = List.of("kill-connected-control-plane", "kill-instance-with-sidecar",
      "stop-control-plane");

  /** How long a victim may take to leave rotation before the scenario gives up waiting. */
  private static final Duration ROTATION_WAIT = Duration.ofSeconds(30);
  /** How long the cluster may take to converge before the scenario gives up waiting. */
  private static final Duration CONVERGE_WAIT = Duration.ofSeconds(30);

  private Scenarios() {}

  /** Every scenario by name, in the order {@code all} runs them. */
  public static Map<String, Scenario> all() {
    Map<String, Scenario> m = new LinkedHashMap<>();
    for (Scenario s : List.of(
        simple("kill-connected-control-plane", "kill -9 the control-plane replica the gateways are connected to;"
            + " restart it", r -> killControlPlane(r, r.connectedControlPlane())),
        simple("kill-other-control-plane", "kill -9 a control-plane replica no gateway is connected to; restart it",
            r -> killControlPlane(r, otherControlPlane(r))),
        simple("kill-redis-master", "kill -9 the Redis master (Sentinel promotes the replica); restart it as a"
            + " replica", Scenarios::killRedisMaster),
        simple("stop-control-plane", "SIGSTOP the connected control-plane replica (gray failure), then SIGCONT",
            Scenarios::stopControlPlane),
        simple("stop-redis", "SIGSTOP Redis (master and replica) for longer than a lease TTL, then SIGCONT: no mass"
            + " eviction, writes UNAVAILABLE meanwhile", Scenarios::stopRedis),
        simple("kill-instance-with-sidecar", "kill -9 an instance together with its sidecar",
            r -> killInstance(r, true)),
        simple("kill-app-keep-sidecar", "kill -9 an app while its sidecar lives", r -> killInstance(r, false)),
        simple("restart-everything", "kill -9 every control plane and Redis, an instance dies meanwhile; restart:"
            + " the registry converges to the live instances", Scenarios::restartEverything))) {
      m.put(s.name(), s);
    }
    FaultScenarios.all().forEach(s -> m.put(s.name(), s)); // partitions, link faults, outlier recovery
    return m;
  }

  /** A scenario from a name, a description and a body. */
  public static Scenario simple(String name, String description, Body body) {
    return new Scenario() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public String description() {
        return description;
      }

      @Override
      public ScenarioOutcome run(ChaosRun run) throws Exception {
        return body.run(run);
      }
    };
  }

  /** A scenario's body. */
  @FunctionalInterface
  public interface Body {
    ScenarioOutcome run(ChaosRun run) throws Exception;
  }

  private static ClusterProcess otherControlPlane(ChaosRun r) {
    List<String> connected = new ArrayList<>();
    for (ClusterProcess g : r.cluster().gateways()) {
      Probes.connectedControlPlane(ClusterHandle.adminPort(g)).ifPresent(connected::add);
    }
    return r.cluster().controlPlanes().stream()
        .filter(cp -> connected.stream().noneMatch(a -> a.endsWith(":" + cp.ports().get(0)))).findFirst()
        .orElse(r.cluster().process("control-plane-3"));
  }

  private static ScenarioOutcome killControlPlane(ChaosRun r, ClusterProcess cp) throws Exception {
    r.faultBegins("kill -9 " + cp);
    try {
      cp.kill9();
      r.pause(r.settings().faultDuration());
    } finally {
      restartIfDead(r, cp);
    }
    long healed = System.nanoTime();
    r.faultEnds(cp.name() + " restarted");
    return converged(r, healed, ScenarioOutcome.builder()).build();
  }

  private static ScenarioOutcome killRedisMaster(ChaosRun r) throws Exception {
    List<Integer> sentinels = r.cluster().sentinelPorts();
    int masterPort = Probes.sentinelMaster(sentinels).orElseThrow(() -> new IllegalStateException("no Sentinel"
        + " names a master"));
    ClusterProcess master = redisOn(r, masterPort);
    ScenarioOutcome.Builder out = ScenarioOutcome.builder();
    r.faultBegins("kill -9 the Redis master " + master + " on :" + masterPort);
    long t0 = System.nanoTime();
    try {
      master.kill9();
      while (Probes.sentinelMaster(sentinels).map(p -> p == masterPort).orElse(true)) {
        if (System.nanoTime() - t0 > Duration.ofSeconds(60).toNanos()) {
          out.miss("Sentinel did not promote the replica within 60 s");
          break;
        }
        r.pause(Duration.ofMillis(50));
      }
      out.note("Sentinel promoted :" + Probes.sentinelMaster(sentinels).orElse(0) + " after "
          + (System.nanoTime() - t0) / 1_000_000 + " ms");
      r.faults().event("Sentinel names :" + Probes.sentinelMaster(sentinels).orElse(0) + " the master");
      r.pause(r.settings().faultDuration());
    } finally {
      restartIfDead(r, master);
    }
    long healed = System.nanoTime();
    r.faultEnds(master.name() + " restarted as a replica");
    return converged(r, healed, out).build();
  }

  private static ScenarioOutcome stopControlPlane(ChaosRun r) throws Exception {
    ClusterProcess cp = r.connectedControlPlane();
    r.faultBegins("SIGSTOP " + cp + " for " + r.settings().replicaStop().toMillis() + " ms");
    try {
      cp.stop();
      r.pause(r.settings().replicaStop());
    } finally {
      if (cp.stopped()) {
        cp.cont();
      }
    }
    long healed = System.nanoTime();
    r.faultEnds("SIGCONT " + cp);
    return converged(r, healed, ScenarioOutcome.builder()).build();
  }

  private static ScenarioOutcome stopRedis(ChaosRun r) throws Exception {
    List<ClusterProcess> redis = List.of(r.cluster().process("redis-master"), r.cluster().process("redis-replica"));
    Duration stop = r.settings().faultDuration().compareTo(ChurnWriter.TTL.plusSeconds(5)) > 0
        ? r.settings().faultDuration() : ChurnWriter.TTL.plusSeconds(5);
    int before = routedCount(r);
    Map<String, Long> failedBefore = r.churn().unacknowledged();
    long ackedBefore = r.churn().acknowledged().values().stream().mapToLong(Long::longValue).sum();
    r.faultBegins("SIGSTOP both Redis servers for " + stop.toSeconds() + " s (lease TTL " + ChurnWriter.TTL.toSeconds()
        + " s)");
    try {
      for (ClusterProcess p : redis) {
        p.stop();
      }
      r.pause(stop);
    } finally {
      for (ClusterProcess p : redis) {
        if (p.stopped()) {
          p.cont();
        }
      }
    }
    long healed = System.nanoTime();
    long ackedDuring = r.churn().acknowledged().values().stream().mapToLong(Long::longValue).sum() - ackedBefore;
    r.faultEnds("SIGCONT both Redis servers");
    ScenarioOutcome.Builder out = ScenarioOutcome.builder();
    Map<String, Long> failedDuring = new LinkedHashMap<>();
    r.churn().unacknowledged().forEach((k, v) -> {
      long d = v - failedBefore.getOrDefault(k, 0L);
      if (d > 0) {
        failedDuring.put(k, d);
      }
    });
    out.note("churn writes failed during the outage: " + failedDuring + "; acknowledged: " + ackedDuring);
    converged(r, healed, out);
    r.pause(r.settings().settle());
    int after = routedCount(r);
    out.note(SERVICE_LABEL + " instances routed before: " + before + ", after: " + after);
    if (after < before) {
      out.miss("eviction: " + (before - after) + " of " + before + " instances gone after the outage");
    }
    return out.build();
  }

  private static final String SERVICE_LABEL = ChaosRunner.SERVICE;

  private static int routedCount(ChaosRun r) {
    return Probes.routed(ClusterHandle.adminPort(r.cluster().process("gateway-1")), ChaosRunner.SERVICE)
        .map(List::size).orElse(0);
  }

  private static ScenarioOutcome killInstance(ChaosRun r, boolean withSidecar) throws Exception {
    Victim v = r.startVictim();
    r.pause(r.settings().settle());
    r.faultBegins("kill -9 " + v.instanceId() + (withSidecar ? " and its sidecar" : " (app only, its sidecar lives)"));
    long t0 = System.nanoTime();
    v.app().kill9();
    if (withSidecar) {
      v.sidecar().kill9();
    }
    r.crashed(v.instanceId());
    Optional<Duration> out = r.awaitOutOfRotation(v.hostPort(), t0, ROTATION_WAIT);
    r.faults().event(v.instanceId() + (out.isPresent() ? " out of rotation after " + out.get().toMillis() + " ms"
        : " still in rotation after " + ROTATION_WAIT.toSeconds() + " s"));
    r.pause(r.settings().faultDuration());
    r.faultEnds(v.instanceId() + " stays down");
    ScenarioOutcome.Builder b = ScenarioOutcome.builder();
    out.ifPresentOrElse(b::outOfRotation, () -> b.miss("still routed " + ROTATION_WAIT.toSeconds() + " s after the"
        + " crash"));
    return b.build();
  }

  private static ScenarioOutcome restartEverything(ChaosRun r) throws Exception {
    Victim v = r.startVictim();
    int before = routedCount(r);
    List<ClusterProcess> cps = r.cluster().controlPlanes();
    int masterPort = Probes.sentinelMaster(r.cluster().sentinelPorts()).orElse(-1);
    List<ClusterProcess> redis = new ArrayList<>(List.of(r.cluster().process("redis-master"),
        r.cluster().process("redis-replica")));
    // The master Sentinel names restarts first, so that the other follows it and never the reverse.
    redis.sort((a, b) -> Boolean.compare(b.ports().get(0) == masterPort, a.ports().get(0) == masterPort));
    ScenarioOutcome.Builder out = ScenarioOutcome.builder();
    r.faultBegins("kill -9 every control plane and both Redis servers");
    Optional<Duration> rotation;
    try {
      for (ClusterProcess p : cps) {
        p.kill9();
      }
      for (ClusterProcess p : redis) {
        p.kill9();
      }
      r.pause(r.settings().faultDuration().dividedBy(2));
      long t0 = System.nanoTime();
      v.app().kill9();
      v.sidecar().kill9();
      r.crashed(v.instanceId() + " (during the outage)");
      rotation = r.awaitOutOfRotation(v.hostPort(), t0, ROTATION_WAIT);
      r.pause(r.settings().faultDuration().dividedBy(2));
    } finally {
      for (ClusterProcess p : redis) {
        restartIfDead(r, p);
      }
      for (ClusterProcess p : cps) {
        restartIfDead(r, p);
      }
    }
    long healed = System.nanoTime();
    r.faultEnds("every control plane and Redis restarted");
    rotation.ifPresentOrElse(out::outOfRotation, () -> out.miss(v.instanceId() + " still routed after "
        + ROTATION_WAIT.toSeconds() + " s"));
    converged(r, healed, out);
    // The victim's lease expires (TTL and grace); it must not come back, the live ones must be back.
    r.pause(ChaosRunner.VICTIM_TTL.plusSeconds(7));
    List<String> routed = Probes.routed(ClusterHandle.adminPort(r.cluster().process("gateway-1")), ChaosRunner.SERVICE)
        .orElse(List.of());
    if (routed.contains(v.hostPort())) {
      out.miss(v.instanceId() + " died during the outage and came back");
    }
    if (routed.size() < before - 1) {
      out.miss("only " + routed.size() + " of " + (before - 1) + " live instances back");
    }
    out.note(ChaosRunner.SERVICE + " instances routed before: " + before + " (victim included), after: "
        + routed.size());
    return out.build();
  }

  private static ClusterProcess redisOn(ChaosRun r, int port) {
    return r.cluster().processes().values().stream().filter(p -> p.name().startsWith("redis")
        && p.ports().get(0) == port).findFirst().orElseThrow(() -> new IllegalStateException(
            "no Redis process of the cluster listens on :" + port));
  }

  private static void restartIfDead(ChaosRun r, ClusterProcess p) throws Exception {
    if (!p.alive()) {
      r.restart(p);
    }
  }

  private static ScenarioOutcome.Builder converged(ChaosRun r, long healed, ScenarioOutcome.Builder out)
      throws InterruptedException {
    Optional<Duration> c = r.awaitConverged(healed, CONVERGE_WAIT);
    r.faults().event(c.map(d -> "converged " + d.toMillis() + " ms after the heal")
        .orElse("not converged " + CONVERGE_WAIT.toSeconds() + " s after the heal"));
    c.ifPresentOrElse(out::convergence, () -> out.miss("not converged " + CONVERGE_WAIT.toSeconds()
        + " s after the heal"));
    return out;
  }
}
