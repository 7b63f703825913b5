package dev.vertice.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code XdsMapping} derives the xDS resources of one service from its instances and its traffic
 * policy. A pure function: no state, no I/O.
 *
 * <p>For service {@code s}:
 *
 * <ul>
 *   <li>Listener {@code s}: an API listener (what gRPC xDS clients resolve for {@code xds:///s})
 *       whose HttpConnectionManager takes RouteConfiguration {@code s} by RDS over ADS and ends in
 *       the router filter.
 *   <li>RouteConfiguration {@code s}: one virtual host for every domain and one route for every
 *       path. Without a policy (or with no subsets) it routes to cluster {@code s}; with subsets,
 *       to {@code weighted_clusters} over the subset clusters {@code s/<version>}, with the
 *       policy's weights among the subsets that have weight and at least one SERVING instance
 *       (the TrafficPolicy contract). When no subset can take traffic the route answers 503
 *       itself ({@code direct_response}; gRPC clients fail such calls with UNAVAILABLE).
 *   <li>Cluster {@code s} (every SERVING instance) and {@code s/<version>} for every version label
 *       among the instances and the policy's subsets: type EDS over ADS, round robin; HTTP/2 to
 *       the upstream when the service speaks gRPC (for Envoy; gRPC clients ignore it).
 *   <li>ClusterLoadAssignment of each cluster: its SERVING instances, HEALTHY, grouped by zone,
 *       each with its weight; a locality weighs the sum of its endpoints' weights.
 * </ul>
 *
 * A service with no instance and no policy has no resources.
 */
public final class XdsMapping {

  /** Separates the service name from the version label in subset cluster names. */
  public static final String SUBSET_SEPARATOR = "/";

  /** The HTTP status of a route that has no subset to send traffic to. */
  static final int NO_SUBSET_STATUS = 503;

  private static final String ROUTER_FILTER = "envoy.filters.http.router";
  private static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  private static final Duration CONNECT_TIMEOUT = Duration.newBuilder().setSeconds(5).build();
  /** Stands for a ClusterLoadAssignment not built ({@link #mapWithoutEndpoints}). */
  static final ClusterLoadAssignment PLACEHOLDER = ClusterLoadAssignment.getDefaultInstance();
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3)
      .build();

  /**
   * {@code Resources} are the xDS resources of one service, by type URL then name.
   *
   * @param byType for each of {@link XdsTypes#ALL}, resource name to message (iteration sorted)
   */
  public record Resources(Map<String, Map<String, Message>> byType) {

    /** The resources of no service. */
    public static final Resources NONE = new Resources(Map.of());

    public Resources {
      Map<String, Map<String, Message>> copy = new LinkedHashMap<>();
      for (Map.Entry<String, Map<String, Message>> e : byType.entrySet()) {
        copy.put(e.getKey(), java.util.Collections.unmodifiableMap(new TreeMap<>(e.getValue())));
      }
      byType = java.util.Collections.unmodifiableMap(copy);
    }

    /** Returns the resources of {@code typeUrl}, name to message; empty when there are none. */
    public Map<String, Message> of(String typeUrl) {
      return byType.getOrDefault(typeUrl, Map.of());
    }
  }

  private XdsMapping() {}

  /** Returns the name of the cluster of {@code service}'s instances labelled {@code version}. */
  public static String subsetCluster(String service, String version) {
    return service + SUBSET_SEPARATOR + version;
  }

  /**
   * Derives the resources of {@code service}.
   *
   * @param instances its instances in any health (empty when it has none)
   * @param policy its traffic policy, or null when it has none
   */
  public static Resources map(String service, List<Instance> instances, TrafficPolicy policy) {
    return map(service, instances, policy, true);
  }

  /**
   * Derives the resources of {@code service} without building the ClusterLoadAssignments (the
   * costly part, linear in the instances): its {@link XdsTypes#ENDPOINT} map holds each
   * assignment's name with a placeholder; build one with {@link #loadAssignment(String, String,
   * List)}.
   */
  static Resources mapWithoutEndpoints(String service, List<Instance> instances, TrafficPolicy policy) {
    return map(service, instances, policy, false);
  }

  /**
   * Builds the ClusterLoadAssignment named {@code clusterName}: the SERVING {@code instances}, of
   * version label {@code version} when it is not null.
   */
  public static ClusterLoadAssignment loadAssignment(String clusterName, String version, List<Instance> instances) {
    List<Instance> serving = new ArrayList<>();
    for (Instance i : instances) {
      if (i.getHealth() == HealthStatus.HEALTH_STATUS_SERVING && (version == null || version.equals(i.getVersion()))) {
        serving.add(i);
      }
    }
    return loadAssignment(clusterName, serving);
  }

  private static Resources map(String service, List<Instance> instances, TrafficPolicy policy, boolean withEndpoints) {
    boolean split = policy != null && policy.getSubsetsCount() > 0;
    if (instances.isEmpty() && !split) {
      return Resources.NONE;
    }
    // Version label to SERVING instances; every label present gets a cluster, serving or not.
    TreeMap<String, List<Instance>> servingByVersion = new TreeMap<>();
    List<Instance> serving = new ArrayList<>();
    boolean grpc = false;
    for (Instance i : instances) {
      List<Instance> ofVersion = i.getVersion().isEmpty() ? null
          : servingByVersion.computeIfAbsent(i.getVersion(), v -> new ArrayList<>());
      grpc |= i.getProtocol() == Protocol.PROTOCOL_GRPC;
      if (i.getHealth() == HealthStatus.HEALTH_STATUS_SERVING) {
        serving.add(i);
        if (ofVersion != null) {
          ofVersion.add(i);
        }
      }
    }
    if (split) {
      for (Subset s : policy.getSubsetsList()) {
        servingByVersion.computeIfAbsent(s.getVersion(), v -> new ArrayList<>());
      }
    }

    Map<String, Message> clusters = new TreeMap<>();
    Map<String, Message> endpoints = new TreeMap<>();
    clusters.put(service, cluster(service, grpc));
    endpoints.put(service, withEndpoints ? loadAssignment(service, serving) : PLACEHOLDER);
    for (Map.Entry<String, List<Instance>> e : servingByVersion.entrySet()) {
      String name = subsetCluster(service, e.getKey());
      clusters.put(name, cluster(name, grpc));
      endpoints.put(name, withEndpoints ? loadAssignment(name, e.getValue()) : PLACEHOLDER);
    }

    Map<String, Map<String, Message>> byType = new LinkedHashMap<>();
    byType.put(XdsTypes.LISTENER, Map.of(service, listener(service)));
    byType.put(XdsTypes.ROUTE, Map.of(service, route(service, split ? policy : null, servingByVersion)));
    byType.put(XdsTypes.CLUSTER, clusters);
    byType.put(XdsTypes.ENDPOINT, endpoints);
    return new Resources(byType);
  }

  static Listener listener(String service) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix(service)
        .setRds(Rds.newBuilder().setRouteConfigName(service).setConfigSource(ADS))
        .addHttpFilters(HttpFilter.newBuilder()
            .setName(ROUTER_FILTER)
            .setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return Listener.newBuilder()
        .setName(service)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm)))
        .build();
  }

  static RouteConfiguration route(String service, TrafficPolicy policy,
      Map<String, List<Instance>> servingByVersion) {
    Route.Builder route = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"));
    if (policy == null) {
      route.setRoute(RouteAction.newBuilder().setCluster(service));
    } else {
      WeightedCluster.Builder wc = WeightedCluster.newBuilder();
      // Subsets are listed once each, in the policy's order; a repeated label adds its weight.
      Map<String, Long> weights = new LinkedHashMap<>();
      for (Subset s : policy.getSubsetsList()) {
        List<Instance> ready = servingByVersion.get(s.getVersion());
        if (s.getWeight() > 0 && ready != null && !ready.isEmpty()) {
          weights.merge(s.getVersion(), (long) s.getWeight(), Long::sum);
        }
      }
      for (Map.Entry<String, Long> w : weights.entrySet()) {
        wc.addClusters(WeightedCluster.ClusterWeight.newBuilder()
            .setName(subsetCluster(service, w.getKey()))
            .setWeight(UInt32Value.of((int) Math.min(w.getValue(), Integer.MAX_VALUE))));
      }
      if (wc.getClustersCount() == 0) {
        route.setDirectResponse(DirectResponseAction.newBuilder().setStatus(NO_SUBSET_STATUS));
      } else {
        route.setRoute(RouteAction.newBuilder().setWeightedClusters(wc));
      }
    }
    return RouteConfiguration.newBuilder()
        .setName(service)
        .addVirtualHosts(VirtualHost.newBuilder().setName(service).addDomains("*").addRoutes(route))
        .build();
  }

  static Cluster cluster(String name, boolean grpc) {
    Cluster.Builder c = Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS).setServiceName(name))
        .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
        .setConnectTimeout(CONNECT_TIMEOUT);
    if (grpc) {
      c.putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(HttpProtocolOptions.newBuilder()
          .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
              .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
          .build()));
    }
    return c.build();
  }

  static ClusterLoadAssignment loadAssignment(String name, List<Instance> serving) {
    TreeMap<String, List<Instance>> byZone = new TreeMap<>();
    for (Instance i : serving) {
      byZone.computeIfAbsent(i.getZone(), z -> new ArrayList<>()).add(i);
    }
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
    for (Map.Entry<String, List<Instance>> z : byZone.entrySet()) {
      LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder()
          .setLocality(Locality.newBuilder().setZone(z.getKey()));
      long total = 0;
      for (Instance i : z.getValue()) {
        int weight = Math.max(1, i.getWeight());
        total += weight;
        locality.addLbEndpoints(LbEndpoint.newBuilder()
            .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(i.getAddress()).setPortValue(i.getPort()))))
            .setHealthStatus(io.envoyproxy.envoy.config.core.v3.HealthStatus.HEALTHY)
            .setLoadBalancingWeight(UInt32Value.of(weight)));
      }
      locality.setLoadBalancingWeight(UInt32Value.of((int) Math.min(total, Integer.MAX_VALUE)));
      cla.addEndpoints(locality);
    }
    return cla.build();
  }
}
