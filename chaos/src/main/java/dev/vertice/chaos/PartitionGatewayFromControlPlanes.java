package dev.vertice.chaos;

import dev.vertice.chaos.faults.LoopbackPartition;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code partition-gateway-control-planes}: gateway-1 is cut off from every control plane ({@link
 * LoopbackPartition} on their gRPC ports) for the fault duration while the churn goes on, then healed.
 * It must go on routing from its last snapshot (the load's failures count), and catch up after the
 * heal. Measured: whether it noticed (status {@code connected:false}), convergence after the heal, the
 * alerts that fired.
 */
public final class PartitionGatewayFromControlPlanes implements Scenario {

  @Override
  public String name() {
    return "partition-gateway-control-planes";
  }

  @Override
  public String description() {
    return "iptables partition of gateway-1 from every control plane (it routes from its cache), then heal";
  }

  @Override
  public ScenarioOutcome run(ChaosRun run) throws Exception {
    Optional<String> missing = LoopbackPartition.check();
    if (missing.isPresent()) {
      return ScenarioOutcome.skipped(missing.get());
    }
    ClusterHandle c = run.cluster();
    ClusterProcess gateway = c.gateways().get(0);
    List<Integer> ports = c.controlPlanes().stream().map(cp -> cp.ports().get(0)).toList();
    ScenarioOutcome.Builder out = ScenarioOutcome.builder();
    try (ScenarioAlerts alerts = ScenarioAlerts.start(c)) {
      run.pause(Duration.ofSeconds(2));
      String what = gateway.name() + " partitioned from every control plane (ports " + ports + ")";
      run.faultBegins(what);
      LoopbackPartition p = LoopbackPartition.isolate(gateway.name(), gateway.pid(), ports);
      long healedAt;
      boolean noticed = false;
      try {
        run.faults().event(what + ": " + p.openConnectionsCut() + " open connections cut");
        long end = System.nanoTime() + run.settings().faultDuration().toNanos();
        while (System.nanoTime() < end) {
          noticed |= GatewayAdmin.connected(gateway).map(connected -> !connected).orElse(false);
          run.pause(Duration.ofMillis(500));
        }
      } finally {
        p.heal();
        healedAt = System.nanoTime();
        run.faultEnds(gateway.name() + " reaches the control planes again");
      }
      Optional<Duration> converged = run.awaitConverged(healedAt, PartitionReplicaFromRedis.CONVERGE_TIMEOUT);
      if (converged.isPresent()) {
        out.convergence(converged.get());
      } else {
        out.miss("not converged " + PartitionReplicaFromRedis.CONVERGE_TIMEOUT.toSeconds() + " s after the heal");
      }
      out.note(gateway.name() + (noticed ? " reported itself disconnected during the partition"
          : " still reported itself connected during the whole partition (a silent partition: no RST, keepalive not yet expired)"));
      run.pause(Duration.ofSeconds(2));
      out.note(alerts.note());
    }
    return out.build();
  }
}
