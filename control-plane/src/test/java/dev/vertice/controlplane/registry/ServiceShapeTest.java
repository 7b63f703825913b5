package dev.vertice.controlplane.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class ServiceShapeTest {

  private static final List<String> LABELS = List.of("", "v1", "v2", "v3");
  private static final List<HealthStatus> HEALTH = List.of(HealthStatus.HEALTH_STATUS_SERVING,
      HealthStatus.HEALTH_STATUS_NOT_SERVING, HealthStatus.HEALTH_STATUS_UNKNOWN);

  private static Instance instance(String service, String id, Random r) {
    return Instance.newBuilder().setService(service).setInstanceId(id).setAddress("10.0.0.1")
        .setPort(1024 + r.nextInt(1000)).setVersion(LABELS.get(r.nextInt(LABELS.size())))
        .setHealth(HEALTH.get(r.nextInt(HEALTH.size())))
        .setProtocol(r.nextInt(4) == 0 ? Protocol.PROTOCOL_GRPC : Protocol.PROTOCOL_HTTP).build();
  }

  @Test
  void theViewsShapeIsAlwaysTheShapeOfItsInstances() {
    for (long seed = 1; seed <= 40; seed++) {
      Random r = new Random(seed);
      RegistryView view = new RegistryView();
      long revision = 0;
      for (int step = 0; step < 300; step++) {
        String service = "svc-" + r.nextInt(3);
        String id = "i-" + r.nextInt(8);
        // Adds, updates in place (label, health, protocol moving) and removes, some of absent ones.
        Instance next = r.nextInt(3) == 0 ? null : instance(service, id, r);
        view.apply(service, id, next, ++revision, 0);
        if (r.nextInt(40) == 0) {
          // A reload replaces whole services, as a replica does.
          view.replaceAll(Map.of(service, List.of(instance(service, "r-1", r), instance(service, "r-2", r))),
              Map.of(), ++revision, 0, false);
        }
        for (String s : List.of("svc-0", "svc-1", "svc-2")) {
          ServiceView sv = view.service(s);
          ServiceShape expected = sv == null ? ServiceShape.NONE : ServiceShape.of(sv.instances());
          assertEquals(expected, view.shape(s), "seed " + seed + " step " + step + " " + s);
        }
      }
    }
  }

  @Test
  void ofNamesLabelsServingLabelsAndGrpc() {
    Instance a = Instance.newBuilder().setService("s").setInstanceId("a").setVersion("v1")
        .setHealth(HealthStatus.HEALTH_STATUS_SERVING).build();
    Instance b = Instance.newBuilder().setService("s").setInstanceId("b").setVersion("v2")
        .setHealth(HealthStatus.HEALTH_STATUS_NOT_SERVING).setProtocol(Protocol.PROTOCOL_GRPC).build();
    assertEquals(new ServiceShape(true, true, Set.of("v1", "v2"), Set.of("v1")), ServiceShape.of(List.of(a, b)));
    assertEquals(ServiceShape.NONE, ServiceShape.of(List.of()));
  }

  @Test
  void aChangeThatMovesNoLabelKeepsTheSameShapeObject() {
    ServiceShape.Counts counts = new ServiceShape.Counts();
    Random r = new Random(7);
    Instance first = instance("s", "a", r).toBuilder().setVersion("v1").build();
    counts.add(first);
    ServiceShape before = counts.shape();
    Instance moved = first.toBuilder().setPort(first.getPort() + 1).build();
    counts.add(moved); // the view counts the new form in before the old one out
    counts.remove(first);
    assertSame(before, counts.shape());
  }
}
