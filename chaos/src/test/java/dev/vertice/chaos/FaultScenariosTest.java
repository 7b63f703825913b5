package dev.vertice.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which named scenarios the command refuses (exit code 2) where iptables cannot be used. */
class FaultScenariosTest {

  private static final Optional<String> NOT_ROOT = Optional.of("network partitions need root (...)");

  @Test
  void namingAPartitionWithoutRootIsRefusedWithTheReason() {
    String why = FaultScenarios.refusal(List.of("kill-redis-master", "partition-replica-redis", "outlier-recovery"),
        NOT_ROOT).orElseThrow();
    assertEquals("partition-replica-redis, outlier-recovery: network partitions need root (...)", why);
  }

  @Test
  void allAndProcessScenariosAreNotRefused() {
    assertEquals(Optional.empty(), FaultScenarios.refusal(List.of("all"), NOT_ROOT), "within all they are skipped");
    assertEquals(Optional.empty(), FaultScenarios.refusal(List.of("kill-redis-master"), NOT_ROOT));
    assertEquals(Optional.empty(), FaultScenarios.refusal(List.of("partition-replica-redis"), Optional.empty()));
  }

  @Test
  void everyFaultScenarioIsListedAndNeedsNetfilter() {
    for (String n : List.of("partition-replica-redis", "partition-gateway-control-planes", "control-plane-links",
        "outlier-recovery")) {
      assertTrue(Scenarios.all().containsKey(n), n);
      assertTrue(FaultScenarios.needsNetfilter(n), n);
    }
  }
}
