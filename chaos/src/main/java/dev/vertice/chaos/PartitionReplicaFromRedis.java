package dev.vertice.chaos;

import dev.vertice.chaos.faults.LoopbackPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code partition-replica-redis}: the control-plane replica gateway-1 is connected to is cut off from
 * Redis and the Sentinels ({@link LoopbackPartition}: its open connections hang, new ones get no
 * answer, every other process still reaches them) for the fault duration, then healed. Its store
 * breaker opens, its writes fail UNAVAILABLE and the others go on; after the heal it catches up from
 * the change log. Measured: convergence after the heal, and the alerts that fired.
 */
public final class PartitionReplicaFromRedis implements Scenario {

  /** Longest wait for convergence after the heal. */
  static final Duration CONVERGE_TIMEOUT = Duration.ofSeconds(60);

  @Override
  public String name() {
    return "partition-replica-redis";
  }

  @Override
  public String description() {
    return "iptables partition of one control-plane replica (gateway-1's) from Redis and the Sentinels, then heal";
  }

  @Override
  public ScenarioOutcome run(ChaosRun run) throws Exception {
    Optional<String> missing = LoopbackPartition.check();
    if (missing.isPresent()) {
      return ScenarioOutcome.skipped(missing.get());
    }
    ClusterHandle c = run.cluster();
    ClusterProcess replica = run.connectedControlPlane();
    List<Integer> ports = new ArrayList<>();
    ports.addAll(c.process("redis-master").ports());
    ports.addAll(c.process("redis-replica").ports());
    ports.addAll(c.sentinelPorts());
    ScenarioOutcome.Builder out = ScenarioOutcome.builder();
    try (ScenarioAlerts alerts = ScenarioAlerts.start(c)) {
      run.pause(Duration.ofSeconds(2)); // a few scrapes before the fault
      String what = replica.name() + " partitioned from Redis and the Sentinels (ports " + ports + ")";
      run.faultBegins(what);
      LoopbackPartition p = LoopbackPartition.isolate(replica.name(), replica.pid(), ports);
      long healedAt;
      try {
        run.faults().event(what + ": " + p.openConnectionsCut() + " open connections cut, " + p.rules().size()
            + " iptables rules");
        run.pause(run.settings().faultDuration());
      } finally {
        p.heal();
        healedAt = System.nanoTime();
        run.faultEnds(replica.name() + " reaches Redis again");
      }
      Optional<Duration> converged = run.awaitConverged(healedAt, CONVERGE_TIMEOUT);
      if (converged.isPresent()) {
        out.convergence(converged.get());
      } else {
        out.miss("not converged " + CONVERGE_TIMEOUT.toSeconds() + " s after the heal");
      }
      run.pause(Duration.ofSeconds(2)); // scrapes after the heal
      out.note(replica.name() + ": " + p.openConnectionsCut() + " connections to Redis/Sentinel cut");
      out.note(alerts.note());
    }
    return out.build();
  }
}
