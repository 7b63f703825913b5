package dev.vertice.controlplane.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.WatchRequest;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.common.ResourceTypes;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 18, defect 11, on one in-memory control plane with a fake clock: a watcher that NACKs a
 * rollout's weights is reported and not waited on; the rollout's policy is converged once every
 * other watcher answered.
 */
@Timeout(30)
class PolicyNackTest {

  private InProcessControlPlane cp;

  @BeforeEach
  void setUp() throws Exception {
    cp = new InProcessControlPlane();
    for (String version : new String[] {"v1", "v2"}) {
      cp.controlPlane.store().register(Instance.newBuilder().setService("shop").setInstanceId("shop-" + version)
          .setAddress("127.0.0.1").setPort(8000).setVersion(version).setWeight(1).setProtocol(Protocol.PROTOCOL_HTTP)
          .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build(), Duration.ofMinutes(5), Duration.ofMinutes(5));
    }
  }

  @AfterEach
  void tearDown() {
    cp.close();
  }

  @Test
  void aNackingWatcherIsCountedAndTheRolloutStillConverges() throws Exception {
    WatchStream acking = WatchStream.open(cp.channel, "gw-1");
    WatchStream nacking = WatchStream.open(cp.channel, "gw-2");
    for (WatchStream w : new WatchStream[] {acking, nacking}) {
      w.send(WatchRequest.newBuilder().setTypeUrl(ResourceTypes.TRAFFIC_POLICY).addSubscribe("shop"));
      w.nextAcked();
    }
    Rollout r = cp.controlPlane.canary().create(RolloutSpec.draft().service("shop").stableVersion("v1")
        .candidateVersion("v2").stageDuration(Duration.ofMinutes(10)).analysisInterval(Duration.ofMinutes(5))
        .progressDeadline(Duration.ofHours(1)).validate().orThrow());
    acking.ack(acking.next());
    nacking.nack(nacking.next(), "unknown subset v2");
    cp.clock.runDueTasks();
    assertTrue(cp.controlPlane.canary().get(r.id()).orElseThrow().policyConverged(),
        "a NACK is an answer: the rollout does not wait for that watcher forever");
    assertEquals(1, cp.controlPlane.policyPublisher().nackedPolicies(), "the NACK is reported");
  }
}
