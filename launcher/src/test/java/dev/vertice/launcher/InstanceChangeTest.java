package dev.vertice.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code InstanceChange}: what {@code vertice watch} prints for two states of a service. */
class InstanceChangeTest {

  private static final Instant AT = Instant.parse("2026-01-02T03:04:05.678901Z");

  private static Instance instance(String id, HealthStatus health, int weight) {
    return Instance.newBuilder().setService("shop").setInstanceId(id).setAddress("10.0.0.1").setPort(80)
        .setProtocol(dev.vertice.api.registry.v1.Protocol.PROTOCOL_HTTP)
        .setVersion("v1").setWeight(weight).setHealth(health).build();
  }

  @Test
  void addedUpdatedAndRemovedInstancesEachMakeOneLine() {
    Instance a = instance("a", HealthStatus.HEALTH_STATUS_SERVING, 100);
    Instance b = instance("b", HealthStatus.HEALTH_STATUS_SERVING, 100);
    Instance same = instance("c", HealthStatus.HEALTH_STATUS_SERVING, 100);
    Instance bChanged = instance("b", HealthStatus.HEALTH_STATUS_NOT_SERVING, 50);
    Instance d = instance("d", HealthStatus.HEALTH_STATUS_UNKNOWN, 100);

    List<InstanceChange> changes = InstanceChange.between("shop", Map.of("a", a, "b", b, "c", same),
        List.of(bChanged, same, d), "v-9", AT);

    assertEquals(List.of(
        "2026-01-02T03:04:05.678Z UPDATED shop b weight=50 (was 100) health=NOT_SERVING (was SERVING)",
        "2026-01-02T03:04:05.678Z ADDED   shop d address=10.0.0.1:80 protocol=http version=v1 zone=- weight=100"
            + " health=UNKNOWN",
        "2026-01-02T03:04:05.678Z REMOVED shop a address=10.0.0.1:80"),
        changes.stream().map(InstanceChange::line).toList());
    assertEquals(List.of("weight", "health"), changes.get(0).changed());
  }

  @Test
  void jsonHoldsTheInstanceBeforeAndAfter() {
    InstanceChange c = InstanceChange.between("shop", Map.of(), List.of(instance("a",
        HealthStatus.HEALTH_STATUS_SERVING, 100)), "v-1", AT).get(0);

    assertEquals("{\"time\":\"2026-01-02T03:04:05.678Z\",\"event\":\"ADDED\",\"service\":\"shop\",\"instanceId\":\"a\","
        + "\"resourceVersion\":\"v-1\",\"changed\":[],\"instance\":{\"service\":\"shop\",\"instanceId\":\"a\","
        + "\"address\":\"10.0.0.1\",\"port\":80,\"protocol\":\"PROTOCOL_HTTP\",\"version\":\"v1\",\"zone\":\"\","
        + "\"weight\":100,\"health\":\"HEALTH_STATUS_SERVING\",\"metadata\":{}},\"previous\":null}", c.json());
  }
}
