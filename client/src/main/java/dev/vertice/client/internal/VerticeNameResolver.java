package dev.vertice.client.internal;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.client.ServiceListener;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.TrafficPolicySnapshot;
import dev.vertice.client.VerticeAttributes;
import dev.vertice.client.VerticeRoundRobinLoadBalancerProvider;
import dev.vertice.client.WatchClient;
import dev.vertice.common.ZoneConfig;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code VerticeNameResolver} resolves {@code vertice:///service} to the service's SERVING
 * instances, as pushed to a {@link WatchClient}: every pushed change becomes a new resolution
 * result, so nothing polls and {@link #refresh()} does nothing.
 *
 * <p>Each instance becomes one {@link EquivalentAddressGroup} carrying its weight, version label,
 * zone and instance id as {@link VerticeAttributes}. A service without SERVING instances (or
 * without instances) is reported as an UNAVAILABLE error. Results carry a service config selecting {@code
 * vertice_round_robin} (which fails calls at once on such an error, instead of calling the last
 * addresses as {@code round_robin} would), falling back to {@code round_robin} where that policy is
 * not registered.
 *
 * <p>When the watch client watches traffic policies ({@link
 * WatchClient.Builder#watchTrafficPolicies}), the service's pushed TrafficPolicy rides along: each
 * result carries the current one as the {@link VerticeAttributes#TRAFFIC_POLICY}
 * attribute (absent when the service has none), and a policy change alone produces a new result
 * with the same addresses. A watch client that does not watch policies never receives one: its
 * channels balance over every SERVING instance.
 *
 * <p>Results are built and reported on the channel's synchronization context, in the order the
 * watch client delivers its changes; nothing is reported before the first answer about the
 * service's instances.
 *
 * <p>Instance addresses are turned into {@link InetSocketAddress}es on the watch client's listener
 * thread; IP literals need no lookup, host names are looked up there (blocking that thread).
 */
public final class VerticeNameResolver extends NameResolver {

  private static final Logger log = Logger.getLogger(VerticeNameResolver.class.getName());

  /** The policy selected first by the service config: drain-aware round-robin. */
  public static final String POLICY = VerticeRoundRobinLoadBalancerProvider.POLICY_NAME;
  /** The policy selected when {@link #POLICY} is not registered. */
  public static final String FALLBACK_POLICY = "round_robin";

  private final String service;
  private final WatchClient watchClient;
  private final SynchronizationContext syncContext;
  private final ConfigOrError serviceConfig;
  private final ServiceListener watcher = new ServiceListener() {
    @Override
    public void onUpdate(ServiceSnapshot snapshot) {
      if (snapshot.service().equals(service)) {
        StatusOr<List<EquivalentAddressGroup>> result = resultFor(snapshot);
        TrafficPolicySnapshot cached = watchClient.policy(service).orElse(null);
        syncContext.execute(() -> {
          addresses = result;
          adoptCachedPolicy(cached);
          publish();
        });
      }
    }

    @Override
    public void onRemoved(String removed) {
      if (removed.equals(service)) {
        syncContext.execute(() -> {
          addresses = StatusOr.fromStatus(Status.UNAVAILABLE.withDescription(
              "service '" + service + "' has no instances in the Vertice registry"));
          publish();
        });
      }
    }

    @Override
    public void onPolicyUpdate(TrafficPolicySnapshot changed) {
      if (changed.service().equals(service)) {
        syncContext.execute(() -> {
          policyEventSeen = true;
          policy = changed;
          publish();
        });
      }
    }

    @Override
    public void onPolicyRemoved(String removed) {
      if (removed.equals(service)) {
        syncContext.execute(() -> {
          policyEventSeen = true;
          policy = null;
          publish();
        });
      }
    }
  };
  private Listener2 listener; // only touched in syncContext
  private boolean shutdown; // only touched in syncContext
  private StatusOr<List<EquivalentAddressGroup>> addresses; // only touched in syncContext; null until known
  private TrafficPolicySnapshot policy; // only touched in syncContext; null when none
  private boolean policyEventSeen; // only touched in syncContext

  /**
   * {@code VerticeNameResolver} resolves {@code service} (canonical) through {@code watchClient}.
   *
   * @param args the channel's arguments: its synchronization context and service config parser
   */
  public VerticeNameResolver(String service, WatchClient watchClient, Args args) {
    this(service, watchClient, args, ZoneConfig.ofDefaults(), VerticeRoundRobinLoadBalancer.DELEGATE_POLICY);
  }

  /**
   * {@code VerticeNameResolver} resolves {@code service} (canonical) through {@code watchClient},
   * asking for zone-aware routing by {@code zone} and balancing within subsets by {@code lbPolicy}
   * ({@code round_robin} or {@code peak_ewma}).
   */
  public VerticeNameResolver(String service, WatchClient watchClient, Args args, ZoneConfig zone, String lbPolicy) {
    this.service = service;
    this.watchClient = watchClient;
    this.syncContext = args.getSynchronizationContext();
    this.serviceConfig = args.getServiceConfigParser().parseServiceConfig(serviceConfig(service, zone, lbPolicy));
  }

  /**
   * {@code serviceConfig} returns the service config every result for {@code service} carries:
   * round-robin over the SERVING instances, with {@value #POLICY} preferred to {@value
   * #FALLBACK_POLICY}.
   */
  public static Map<String, ?> serviceConfig(String service) {
    return serviceConfig(service, ZoneConfig.ofDefaults(), VerticeRoundRobinLoadBalancer.DELEGATE_POLICY);
  }

  /**
   * {@code serviceConfig} returns the service config for {@code service} with zone-aware routing
   * ({@code zone}) and the balancing within subsets ({@code lbPolicy}) in {@value #POLICY}'s config.
   */
  public static Map<String, ?> serviceConfig(String service, ZoneConfig zone, String lbPolicy) {
    Map<String, Object> config = new java.util.LinkedHashMap<>();
    config.put("service", service);
    if (zone.enabled()) {
      config.put("zone", zone.zone());
      config.put("zoneMinClusterSize", (double) zone.minClusterSize());
      config.put("zoneLocalShare", zone.localShare());
    }
    if (!VerticeRoundRobinLoadBalancer.DELEGATE_POLICY.equals(lbPolicy)) {
      config.put("childPolicy", lbPolicy);
    }
    return Map.of("loadBalancingConfig", List.of(
        Map.of(POLICY, Map.copyOf(config)),
        Map.of(FALLBACK_POLICY, Map.of())));
  }

  /** {@code getServiceAuthority} returns the service name, the authority of calls on the channel. */
  @Override
  public String getServiceAuthority() {
    return service;
  }

  /**
   * {@code start} listens to the watch client and subscribes to the service; results follow on
   * every pushed change (the first one as soon as the control plane has answered).
   */
  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    if (!watchClient.watchesTrafficPolicies()) {
      log.config(() -> "vertice:///" + service + ": the watch client does not watch traffic policies;"
          + " calls go to every SERVING instance whatever the service's canary weights");
    }
    // Listen first: the listener's replay and later pushes cover whatever the subscription brings.
    watchClient.addListener(watcher);
    watchClient.subscribe(service);
  }

  /** {@code refresh} does nothing: changes are pushed, there is nothing to poll. */
  @Override
  public void refresh() {
    // Updates are pushed; there is nothing to poll.
  }

  /** {@code shutdown} stops listening; the subscription stays, the watch client may be shared. */
  @Override
  public void shutdown() {
    shutdown = true;
    // The subscription stays: the watch client may be shared with other channels.
    watchClient.removeListener(watcher);
  }

  private StatusOr<List<EquivalentAddressGroup>> resultFor(ServiceSnapshot snapshot) {
    List<Instance> serving = snapshot.serving();
    if (serving.isEmpty()) {
      return StatusOr.fromStatus(Status.UNAVAILABLE.withDescription("service '" + service + "' has "
          + snapshot.instances().size() + " instances in the Vertice registry, none SERVING"));
    }
    List<EquivalentAddressGroup> groups = new ArrayList<>(serving.size());
    for (Instance i : serving) {
      Attributes attrs = Attributes.newBuilder()
          .set(VerticeAttributes.WEIGHT, i.getWeight())
          .set(VerticeAttributes.VERSION, i.getVersion())
          .set(VerticeAttributes.ZONE, i.getZone())
          .set(VerticeAttributes.INSTANCE_ID, i.getInstanceId())
          .build();
      groups.add(new EquivalentAddressGroup(new InetSocketAddress(i.getAddress(), i.getPort()), attrs));
    }
    return StatusOr.fromValue(List.copyOf(groups));
  }

  /**
   * Before the first policy event, takes the policy the watch client's cache already holds: when
   * a channel starts on a warm watch client, the replayed addresses come before the replayed
   * policy, and the first result must not balance as if the service had no split. The event
   * itself follows and confirms it (or a later one replaces it).
   */
  private void adoptCachedPolicy(TrafficPolicySnapshot cached) {
    if (!policyEventSeen) {
      policy = cached;
    }
  }

  /** Reports the current addresses and policy, once the addresses are known. */
  private void publish() {
    if (shutdown || listener == null || addresses == null) {
      return;
    }
    Attributes attrs = policy == null ? Attributes.EMPTY : Attributes.newBuilder()
        .set(VerticeAttributes.TRAFFIC_POLICY, policy)
        .build();
    listener.onResult2(ResolutionResult.newBuilder()
        .setAddressesOrError(addresses)
        .setAttributes(attrs)
        .setServiceConfig(serviceConfig)
        .build());
  }
}
