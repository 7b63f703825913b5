package dev.vertice.controlplane.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.registry.v1.Instance;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RegistryViewTest {

  private static Instance instance(String id) {
    return Instance.newBuilder().setService("svc").setInstanceId(id).build();
  }

  private static String firstInstanceServed(RegistryView view) throws Exception {
    Endpoints e = ((Any) view.endpointsSource().get("svc").value()).unpack(Endpoints.class);
    return e.getInstances(0).getInstanceId();
  }

  @Test
  void forcedReloadAtAReusedVersionServesTheReloadedInstancesNotTheCachedSnapshot() throws Exception {
    RegistryView view = new RegistryView();
    view.apply("svc", "a", instance("a"), 9, 0);
    assertEquals("a", firstInstanceServed(view)); // caches the snapshot of version 9
    // The store lost history and used revision 9 again for other content.
    view.replaceAll(Map.of("svc", List.of(instance("b"))), Map.of("svc", 9L), 9, 0, true);
    assertEquals("b", firstInstanceServed(view));
    assertEquals(1, view.instanceCount());
  }

  @Test
  void aWriteMadeByAListenerDoesNotMoveTheRevisionBack() {
    RegistryView view = new RegistryView();
    AtomicLong nested = new AtomicLong();
    view.addListener((typeUrl, name, version, changedAtNanos) -> {
      if (version == 1 && nested.getAndIncrement() == 0) {
        view.apply("svc", "b", instance("b"), 2, 0); // a write from within the first change's listener
      }
    });
    view.apply("svc", "a", instance("a"), 1, 0);
    assertEquals(2, view.revision());
  }
}
