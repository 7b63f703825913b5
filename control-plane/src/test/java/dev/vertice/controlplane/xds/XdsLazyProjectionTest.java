package dev.vertice.controlplane.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.ResourceSource;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The xDS projection built from a registry view starts idle and, activated late (when the first ADS
 * stream opens), holds exactly what a projection that followed every change from the start holds,
 * then follows the changes after it.
 */
class XdsLazyProjectionTest {

  private final RegistryView view = new RegistryView();
  private final List<String> lazyReports = new ArrayList<>();
  private final XdsResources lazy = new XdsResources(view, (type, name, version, at) -> lazyReports.add(name));
  // The former behaviour: a projection of the same view that hears of every change.
  private final XdsResources eager = new XdsResources(name -> {
    ServiceView s = view.service(name);
    return s == null ? List.of() : s.instances();
  }, name -> {
    StoredTrafficPolicy p = view.trafficPolicy(name);
    return p == null ? null : p.policy();
  }, (type, name, version, at) -> { });

  XdsLazyProjectionTest() {
    view.addListener(lazy);
    view.addListener(eager);
  }

  private static Instance instance(String service, String id, String version, Protocol protocol) {
    return Instance.newBuilder().setService(service).setInstanceId(id).setAddress("10.0.0.1").setPort(9000)
        .setVersion(version).setWeight(100).setProtocol(protocol).setHealth(HealthStatus.HEALTH_STATUS_SERVING)
        .build();
  }

  private static TrafficPolicy split(String service) {
    return TrafficPolicy.newBuilder().setService(service)
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(90))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(10)).build();
  }

  /** Every resource of every xDS type, name to "version content", read as a subscriber reads them. */
  private static Map<String, String> state(XdsResources xds) {
    Map<String, String> out = new TreeMap<>();
    for (ResourceSource s : xds.sources()) {
      for (String name : s.names()) {
        Resource r = s.get(name);
        out.put(s.typeUrl() + " " + name, r.version() + " " + r.value());
      }
    }
    return out;
  }

  @Test
  void anIdleProjectionActivatedLateHoldsTheFullCurrentStateThenFollowsChanges() {
    long rev = 0;
    view.apply("pay", "a", instance("pay", "a", "v1", Protocol.PROTOCOL_HTTP), ++rev, 0);
    view.apply("pay", "b", instance("pay", "b", "v2", Protocol.PROTOCOL_HTTP), ++rev, 0);
    view.applyTrafficPolicy("pay", split("pay"), ++rev, 0);
    view.apply("grpc-svc", "g", instance("grpc-svc", "g", "v1", Protocol.PROTOCOL_GRPC), ++rev, 0);
    view.apply("gone", "x", instance("gone", "x", "v1", Protocol.PROTOCOL_HTTP), ++rev, 0);
    view.apply("gone", "x", null, ++rev, 0);
    view.applyTrafficPolicy("policy-only", split("policy-only"), ++rev, 0);
    // A change that leaves the shape as it was (the write path's fast path when active).
    view.apply("pay", "a", instance("pay", "a", "v1", Protocol.PROTOCOL_HTTP).toBuilder().setPort(9100).build(),
        ++rev, 0);

    assertFalse(lazy.active());
    assertEquals(0, lazy.serviceCount(), "nothing projected while no xDS client connected");
    assertTrue(lazyReports.isEmpty());

    lazy.activate();
    assertTrue(lazy.active());
    assertTrue(lazyReports.isEmpty(), "no xDS subscriber exists yet: the engine is not told");
    Map<String, String> expected = state(eager);
    Map<String, String> built = state(lazy);
    assertEquals(expected.keySet(), built.keySet(), "every resource of every service, none of the removed one");
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String content = e.getValue().substring(e.getValue().indexOf(' ') + 1);
      String got = built.get(e.getKey());
      assertEquals(content, got.substring(got.indexOf(' ') + 1), e.getKey());
      long version = Long.parseLong(got.substring(0, got.indexOf(' ')));
      String service = e.getKey().substring(e.getKey().indexOf(' ') + 1).split("/")[0];
      long newest = Math.max(view.version(service),
          view.trafficPolicy(service) == null ? 0 : view.trafficPolicy(service).revision());
      assertEquals(newest, version, "labelled with the service's newest version: " + e.getKey());
    }
    assertTrue(built.containsKey(XdsTypes.CLUSTER + " pay/v2") && built.containsKey(XdsTypes.LISTENER + " grpc-svc"),
        built.keySet().toString());

    lazy.activate(); // again: nothing rebuilt, nothing reported
    assertTrue(lazyReports.isEmpty());

    long next = ++rev;
    view.apply("pay", "c", instance("pay", "c", "v3", Protocol.PROTOCOL_HTTP), next, 0);
    assertTrue(lazyReports.contains("pay/v3"), "followed after activation: " + lazyReports);
    assertEquals(next, lazy.sources().stream().filter(s -> s.typeUrl().equals(XdsTypes.CLUSTER)).findFirst()
        .orElseThrow().get("pay/v3").version());
    assertEquals(state(eager).keySet(), state(lazy).keySet());
  }
}
