package dev.vertice.controlplane.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class XdsMappingTest {

  private static Instance instance(String id, String version, String zone, int weight, HealthStatus health) {
    return Instance.newBuilder().setService("pay").setInstanceId(id).setAddress("10.0.0." + id.hashCode() % 200)
        .setPort(8000 + id.length()).setProtocol(Protocol.PROTOCOL_GRPC).setVersion(version).setZone(zone)
        .setWeight(weight).setHealth(health).build();
  }

  private static TrafficPolicy policy(Object... versionWeight) {
    TrafficPolicy.Builder b = TrafficPolicy.newBuilder().setService("pay");
    for (int i = 0; i < versionWeight.length; i += 2) {
      b.addSubsets(Subset.newBuilder().setVersion((String) versionWeight[i]).setWeight((Integer) versionWeight[i + 1]));
    }
    return b.build();
  }

  private static Route onlyRoute(XdsMapping.Resources r) {
    RouteConfiguration rc = (RouteConfiguration) r.of(XdsTypes.ROUTE).get("pay");
    assertEquals(1, rc.getVirtualHostsCount());
    assertEquals(List.of("*"), rc.getVirtualHosts(0).getDomainsList());
    assertEquals(1, rc.getVirtualHosts(0).getRoutesCount());
    return rc.getVirtualHosts(0).getRoutes(0);
  }

  private static Map<String, Integer> weights(Route route) {
    return route.getRoute().getWeightedClusters().getClustersList().stream()
        .collect(Collectors.toMap(WeightedCluster.ClusterWeight::getName, c -> c.getWeight().getValue()));
  }

  @Test
  void serviceWithoutPolicyRoutesToItsWholeClusterThroughAnApiListener() throws Exception {
    XdsMapping.Resources r = XdsMapping.map("pay", List.of(
        instance("a", "v1", "z1", 100, HealthStatus.HEALTH_STATUS_SERVING),
        instance("b", "v2", "z1", 100, HealthStatus.HEALTH_STATUS_SERVING)), null);

    Listener l = (Listener) r.of(XdsTypes.LISTENER).get("pay");
    HttpConnectionManager hcm = l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
    assertEquals("pay", hcm.getRds().getRouteConfigName());
    assertTrue(hcm.getRds().getConfigSource().hasAds());
    assertEquals("envoy.filters.http.router", hcm.getHttpFilters(hcm.getHttpFiltersCount() - 1).getName());
    assertEquals("pay", onlyRoute(r).getRoute().getCluster());
    assertEquals(Set.of("pay", "pay/v1", "pay/v2"), r.of(XdsTypes.CLUSTER).keySet());
    assertEquals(Set.of("pay", "pay/v1", "pay/v2"), r.of(XdsTypes.ENDPOINT).keySet());
    Cluster c = (Cluster) r.of(XdsTypes.CLUSTER).get("pay/v2");
    assertEquals(Cluster.DiscoveryType.EDS, c.getType());
    assertEquals("pay/v2", c.getEdsClusterConfig().getServiceName());
    assertTrue(c.getEdsClusterConfig().getEdsConfig().hasAds());
  }

  @Test
  void policyWithSubsetsBecomesWeightedClustersOverSubsetClusters() {
    XdsMapping.Resources r = XdsMapping.map("pay", List.of(
        instance("a", "v1", "z1", 100, HealthStatus.HEALTH_STATUS_SERVING),
        instance("b", "v2", "z1", 100, HealthStatus.HEALTH_STATUS_SERVING)), policy("v1", 95, "v2", 5));

    assertEquals(Map.of("pay/v1", 95, "pay/v2", 5), weights(onlyRoute(r)));
  }

  @Test
  void subsetsWithoutWeightOrWithoutServingInstanceGetNoTraffic() {
    XdsMapping.Resources r = XdsMapping.map("pay", List.of(
        instance("a", "v1", "z1", 100, HealthStatus.HEALTH_STATUS_SERVING),
        instance("b", "v2", "z1", 100, HealthStatus.HEALTH_STATUS_NOT_SERVING),
        instance("c", "v3", "z1", 100, HealthStatus.HEALTH_STATUS_SERVING)),
        policy("v1", 50, "v2", 25, "v3", 0, "v4", 25));

    assertEquals(Map.of("pay/v1", 50), weights(onlyRoute(r)));
    // Every named subset still has its (possibly empty) cluster, for Envoy routes that name it.
    assertEquals(Set.of("pay", "pay/v1", "pay/v2", "pay/v3", "pay/v4"), r.of(XdsTypes.CLUSTER).keySet());
    assertEquals(0, ((ClusterLoadAssignment) r.of(XdsTypes.ENDPOINT).get("pay/v4")).getEndpointsCount());
  }

  @Test
  void policyWhoseSubsetsCannotTakeTrafficAnswers503() {
    XdsMapping.Resources r = XdsMapping.map("pay", List.of(
        instance("a", "v1", "z1", 100, HealthStatus.HEALTH_STATUS_SERVING)), policy("v2", 100));

    Route route = onlyRoute(r);
    assertFalse(route.hasRoute());
    assertEquals(503, route.getDirectResponse().getStatus());
  }

  @Test
  void loadAssignmentHoldsServingEndpointsByZoneWithTheirWeights() {
    XdsMapping.Resources r = XdsMapping.map("pay", List.of(
        instance("a", "v1", "z1", 100, HealthStatus.HEALTH_STATUS_SERVING),
        instance("b", "v1", "z2", 300, HealthStatus.HEALTH_STATUS_SERVING),
        instance("c", "v1", "z2", 50, HealthStatus.HEALTH_STATUS_SERVING),
        instance("d", "v1", "z2", 100, HealthStatus.HEALTH_STATUS_DRAINING),
        instance("e", "v1", "z1", 100, HealthStatus.HEALTH_STATUS_NOT_SERVING)), null);

    ClusterLoadAssignment cla = (ClusterLoadAssignment) r.of(XdsTypes.ENDPOINT).get("pay");
    assertEquals("pay", cla.getClusterName());
    assertEquals(2, cla.getEndpointsCount());
    LocalityLbEndpoints z1 = cla.getEndpoints(0);
    LocalityLbEndpoints z2 = cla.getEndpoints(1);
    assertEquals("z1", z1.getLocality().getZone());
    assertEquals(100, z1.getLoadBalancingWeight().getValue());
    assertEquals("z2", z2.getLocality().getZone());
    assertEquals(350, z2.getLoadBalancingWeight().getValue());
    assertEquals(List.of(300, 50), z2.getLbEndpointsList().stream()
        .map(e -> e.getLoadBalancingWeight().getValue()).toList());
    LbEndpoint a = z1.getLbEndpoints(0);
    Instance ia = instance("a", "v1", "z1", 100, HealthStatus.HEALTH_STATUS_SERVING);
    assertEquals(ia.getAddress(), a.getEndpoint().getAddress().getSocketAddress().getAddress());
    assertEquals(ia.getPort(), a.getEndpoint().getAddress().getSocketAddress().getPortValue());
    assertEquals(io.envoyproxy.envoy.config.core.v3.HealthStatus.HEALTHY, a.getHealthStatus());
  }

  @Test
  void serviceWithNoInstanceAndNoPolicyHasNoResources() {
    XdsMapping.Resources r = XdsMapping.map("pay", List.of(), null);
    for (String type : XdsTypes.ALL) {
      Map<String, Message> none = r.of(type);
      assertTrue(none.isEmpty(), type);
    }
  }
}
