package dev.vertice.controlplane.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.Any;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.ResourceSource;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class XdsResourcesTest {

  private final Map<String, List<Instance>> instances = new HashMap<>();
  private final Map<String, TrafficPolicy> policies = new HashMap<>();
  private final List<String> reported = new ArrayList<>();
  private final XdsResources xds = new XdsResources(n -> instances.getOrDefault(n, List.of()), policies::get,
      (type, name, version, at) -> reported.add(type.substring(type.lastIndexOf('.') + 1) + " " + name + "@" + version));

  private static Instance instance(String id, String version, HealthStatus health) {
    return Instance.newBuilder().setService("pay").setInstanceId(id).setAddress("10.0.0.1").setPort(9000 + id.charAt(0))
        .setVersion(version).setWeight(100).setHealth(health).build();
  }

  private ResourceSource source(String type) {
    return xds.sources().stream().filter(s -> s.typeUrl().equals(type)).findFirst().orElseThrow();
  }

  @Test
  void firstInstanceCreatesEveryResourceOfTheService() {
    instances.put("pay", List.of(instance("a", "v1", HealthStatus.HEALTH_STATUS_SERVING)));
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 1, 0);

    assertEquals(List.of("Listener pay@1", "RouteConfiguration pay@1", "Cluster pay@1", "Cluster pay/v1@1",
        "ClusterLoadAssignment pay@1", "ClusterLoadAssignment pay/v1@1"), reported);
    assertEquals(Set.of("pay", "pay/v1"), Set.copyOf(source(XdsTypes.CLUSTER).names()));
    assertEquals(1, source(XdsTypes.LISTENER).get("pay").version());
  }

  @Test
  void onlyResourcesWhoseContentChangedTakeTheNewVersion() throws Exception {
    instances.put("pay", List.of(instance("a", "v1", HealthStatus.HEALTH_STATUS_SERVING)));
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 1, 0);
    reported.clear();

    instances.put("pay", List.of(instance("a", "v1", HealthStatus.HEALTH_STATUS_SERVING),
        instance("b", "v1", HealthStatus.HEALTH_STATUS_SERVING)));
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 2, 0);

    assertEquals(List.of("ClusterLoadAssignment pay@2", "ClusterLoadAssignment pay/v1@2"), reported);
    assertEquals(1, source(XdsTypes.LISTENER).get("pay").version());
    Resource cla = source(XdsTypes.ENDPOINT).get("pay");
    assertEquals(2, cla.version());
    assertEquals(2, ((Any) cla.value()).unpack(ClusterLoadAssignment.class).getEndpoints(0).getLbEndpointsCount());
    assertEquals(((Any) cla.value()).getSerializedSize(), cla.sizeBytes());
  }

  @Test
  void policyChangeRewritesTheRouteAndAddsSubsetClusters() {
    instances.put("pay", List.of(instance("a", "v1", HealthStatus.HEALTH_STATUS_SERVING)));
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 1, 0);
    reported.clear();

    policies.put("pay", TrafficPolicy.newBuilder().setService("pay")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(90))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(10)).build());
    xds.onChange(ResourceTypes.TRAFFIC_POLICY, "pay", 2, 0);

    assertEquals(List.of("RouteConfiguration pay@2", "Cluster pay/v2@2", "ClusterLoadAssignment pay/v2@2"), reported);
  }

  @Test
  void anInstanceChangeThatMovesASubsetIntoServiceRewritesTheRoute() {
    policies.put("pay", TrafficPolicy.newBuilder().setService("pay")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(90))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(10)).build());
    instances.put("pay", List.of(instance("a", "v1", HealthStatus.HEALTH_STATUS_SERVING),
        instance("b", "v2", HealthStatus.HEALTH_STATUS_NOT_SERVING)));
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 1, 0);
    reported.clear();

    // Only b's port changes: the shape is the same, only the assignments move.
    instances.put("pay", List.of(instance("a", "v1", HealthStatus.HEALTH_STATUS_SERVING),
        instance("b", "v2", HealthStatus.HEALTH_STATUS_NOT_SERVING).toBuilder().setPort(7000).build()));
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 2, 0);
    assertEquals(List.of("ClusterLoadAssignment pay@2", "ClusterLoadAssignment pay/v1@2",
        "ClusterLoadAssignment pay/v2@2"), reported);
    reported.clear();

    // b serves now: v2 gets its 10 % in the route.
    instances.put("pay", List.of(instance("a", "v1", HealthStatus.HEALTH_STATUS_SERVING),
        instance("b", "v2", HealthStatus.HEALTH_STATUS_SERVING)));
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 3, 0);
    assertEquals(List.of("RouteConfiguration pay@3", "ClusterLoadAssignment pay@3", "ClusterLoadAssignment pay/v1@3",
        "ClusterLoadAssignment pay/v2@3"), reported);
    reported.clear();

    // A new label adds its cluster; a gRPC instance changes every cluster.
    instances.put("pay", List.of(instance("a", "v1", HealthStatus.HEALTH_STATUS_SERVING),
        instance("b", "v2", HealthStatus.HEALTH_STATUS_SERVING),
        instance("c", "v3", HealthStatus.HEALTH_STATUS_SERVING).toBuilder().setProtocol(Protocol.PROTOCOL_GRPC).build()));
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 4, 0);
    assertTrue(reported.containsAll(List.of("Cluster pay@4", "Cluster pay/v1@4", "Cluster pay/v3@4",
        "ClusterLoadAssignment pay/v3@4")), reported.toString());
  }

  @Test
  void lastInstanceGoneRemovesEveryResource() {
    instances.put("pay", List.of(instance("a", "v1", HealthStatus.HEALTH_STATUS_SERVING)));
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 1, 0);
    reported.clear();

    instances.remove("pay");
    xds.onChange(ResourceTypes.ENDPOINTS, "pay", 2, 0);

    assertEquals(6, reported.size(), reported.toString());
    assertEquals(Set.of("@2"), reported.stream().map(r -> r.substring(r.indexOf('@'))).collect(Collectors.toSet()));
    for (ResourceSource s : xds.sources()) {
      assertEquals(0, s.names().size(), s.typeUrl());
      assertNull(s.get("pay"));
    }
    assertEquals(0, xds.serviceCount());
  }

  @Test
  void changesOfOtherTypesAreIgnored() {
    xds.onChange("type.googleapis.com/vertice.discovery.v1.Other", "pay", 1, 0);
    assertEquals(List.of(), reported);
  }
}
