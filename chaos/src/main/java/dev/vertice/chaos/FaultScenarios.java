package dev.vertice.chaos;

import dev.vertice.chaos.faults.LoopbackPartition;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * {@code FaultScenarios} are the scenarios built on {@code dev.vertice.chaos.faults}: network partitions
 * and link faults (iptables on loopback, fault proxies) and the gateways' recovery from outlier
 * ejection. All need root, iptables and cgroup v2 ({@link LoopbackPartition#check()}): named on the
 * command line without them, the command refuses (exit code 2); within {@code all} they are skipped
 * with the reason.
 */
final class FaultScenarios {

  private FaultScenarios() {}

  /** The scenarios, in the order {@code all} runs them. */
  static List<Scenario> all() {
    return List.of(new PartitionReplicaFromRedis(), new PartitionGatewayFromControlPlanes(), new ControlPlaneLinkFaults(),
        new OutlierRecovery());
  }

  /** Whether the scenario named {@code name} needs iptables (all of these do). */
  static boolean needsNetfilter(String name) {
    return all().stream().anyMatch(s -> s.name().equals(name));
  }

  /**
   * Why the named scenarios cannot run here, if one of them needs iptables and this machine cannot
   * (not root, no iptables, no cgroup v2): the message for exit code 2.
   */
  static Optional<String> refusal(List<String> named) {
    return refusal(named, LoopbackPartition.check());
  }

  /** {@link #refusal(List)} given what {@link LoopbackPartition#check()} found missing. */
  static Optional<String> refusal(List<String> named, Optional<String> missing) {
    if (missing.isEmpty()) {
      return Optional.empty();
    }
    List<String> needing = named.stream().filter(FaultScenarios::needsNetfilter).toList();
    return needing.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", needing) + ": " + missing.get());
  }

  /** Removes iptables rules and cgroups a killed earlier run left behind; returns a line to log, if any. */
  static Optional<String> removeLeftovers() {
    try {
      return LoopbackPartition.removeLeftovers()
          ? Optional.of("removed the " + LoopbackPartition.CHAIN + " iptables chain an earlier run left behind")
          : Optional.empty();
    } catch (IOException e) {
      return Optional.of("could not remove an earlier run's " + LoopbackPartition.CHAIN + " chain: " + e.getMessage());
    }
  }
}
