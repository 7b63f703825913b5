package dev.vertice.client;

import dev.vertice.client.internal.VerticeRoundRobinLoadBalancer;
import dev.vertice.common.PeakEwma;
import dev.vertice.common.ZoneConfig;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * {@code VerticeRoundRobinLoadBalancerProvider} provides the {@value #POLICY_NAME} load-balancing
 * policy: round-robin over the resolved addresses that follows the service's traffic policy
 * (canary weights) and stops sending new calls anywhere as soon as the service has no SERVING
 * instance.
 *
 * <p><b>Traffic policy.</b> When the resolution result carries a {@link TrafficPolicySnapshot}
 * under {@link VerticeAttributes#TRAFFIC_POLICY} (the {@code vertice:///} resolver sets it from the pushed
 * TrafficPolicy) and that policy has subsets, each call first picks a version subset by weight,
 * then an address of that subset round-robin. Only subsets with a weight above 0 and at least one
 * address (each address's version is its {@link VerticeAttributes#VERSION} attribute) take part;
 * addresses whose version is in no subset receive no calls. Each such subset is balanced by its own
 * {@code round_robin} child, and only READY children are picked: a subset whose connections are
 * not ready yields its share to the others; when none is ready, calls wait (or fail, once every
 * child failed to connect) as with {@code round_robin}. A policy whose subsets all have weight 0 or
 * no address fails new calls with UNAVAILABLE. Without a policy, or with one without subsets, the
 * calls go round-robin over every address. A new policy applies to the next calls: a weight change
 * keeps the children and their connections; adding or removing the policy itself reconnects.
 *
 * <p><b>Draining.</b> grpc-java's {@code round_robin} takes a resolver error or an empty address
 * list for a transient resolver problem and keeps sending new calls to the last addresses, so a
 * channel whose last SERVING instance turned DRAINING or NOT_SERVING would keep calling it. This
 * policy delegates to {@code round_robin} while addresses exist; on an error or an empty list it
 * closes the delegates' connections and fails new calls at once with UNAVAILABLE ({@code "no
 * SERVING instance of <service>: <reason>"}), until addresses come back and fresh {@code
 * round_robin} children connect to them. Wait-for-ready calls wait instead of failing.
 *
 * <p>Found through {@code META-INF/services}; the {@code vertice:///} name resolver selects it in
 * its service config. Configuration (optional): {@code {"service": "<name>"}}, the name used in
 * errors (default: the channel's authority, which for {@code vertice:///} targets is the service);
 * {@code "zone"}, {@code "zoneMinClusterSize"}, {@code "zoneLocalShare"} turn zone-aware routing on
 * ({@link dev.vertice.common.ZoneConfig}: within each version subset, a local and a remote group
 * share the subset's weight by the probability of staying local); {@code "childPolicy":
 * "peak_ewma"} balances within each group by latency (power of two choices over READY subchannels,
 * cost = peak EWMA of call latency × (calls in flight + 1) / weight) instead of {@code
 * round_robin}.
 *
 * <p>Thread-safe; the balancers it creates run on their channel's synchronization context.
 */
public final class VerticeRoundRobinLoadBalancerProvider extends LoadBalancerProvider {

  /** The policy name to use in a service config's {@code loadBalancingConfig}. */
  public static final String POLICY_NAME = "vertice_round_robin";

  /** The fields a configuration may hold. */
  private static final java.util.List<String> FIELDS = java.util.List.of("service", "zone", "zoneMinClusterSize",
      "zoneLocalShare", "childPolicy");

  private final RandomGenerator random;

  /**
   * {@code VerticeRoundRobinLoadBalancerProvider} is instantiated by {@code ServiceLoader}: subsets
   * are picked with {@link ThreadLocalRandom}.
   */
  public VerticeRoundRobinLoadBalancerProvider() {
    this.random = () -> ThreadLocalRandom.current().nextLong();
  }

  /**
   * {@code isAvailable} returns true. (The {@code round_robin} delegate is looked up when a balancer
   * is created: asking the registry here would re-enter its initialisation.)
   */
  @Override
  public boolean isAvailable() {
    return true;
  }

  /** {@code getPriority} returns 5, grpc's default: no other provider uses this name. */
  @Override
  public int getPriority() {
    return 5;
  }

  /** {@code getPolicyName} returns {@value #POLICY_NAME}. */
  @Override
  public String getPolicyName() {
    return POLICY_NAME;
  }

  /**
   * {@code newLoadBalancer} creates a balancer for the channel behind {@code helper}.
   *
   * @throws IllegalStateException when no {@code round_robin} policy is registered
   */
  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    LoadBalancerProvider roundRobin = roundRobin();
    if (roundRobin == null) {
      throw new IllegalStateException("policy '" + VerticeRoundRobinLoadBalancer.DELEGATE_POLICY
          + "' is not registered; " + POLICY_NAME + " delegates to it");
    }
    return new VerticeRoundRobinLoadBalancer(helper, roundRobin, random);
  }

  /**
   * {@code parseLoadBalancingPolicyConfig} reads {@code {"service": "<name>", "zone": "<zone>",
   * "zoneMinClusterSize": 6, "zoneLocalShare": 0.5, "childPolicy": "round_robin"|"peak_ewma"}} (every
   * field optional); any other field, or a value of the wrong type or out of range, is an
   * INVALID_ARGUMENT error naming the field and quoting the value. Never throws.
   */
  @Override
  public NameResolver.ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    Map<String, ?> raw = rawConfig == null ? Map.of() : rawConfig;
    for (String key : raw.keySet()) {
      if (!FIELDS.contains(key)) {
        return NameResolver.ConfigOrError.fromError(Status.INVALID_ARGUMENT.withDescription(
            POLICY_NAME + " config has an unknown field '" + key + "'; accepted: " + FIELDS));
      }
    }
    Object service = raw.get("service");
    if (service != null && (!(service instanceof String s) || s.isEmpty())) {
      return invalid("service", "must be a non-empty string: " + service);
    }
    ZoneConfig.Builder zone = ZoneConfig.custom();
    try {
      Object z = raw.get("zone");
      if (z != null) {
        if (!(z instanceof String zs)) {
          return invalid("zone", "must be a string: " + z);
        }
        zone.zone(zs);
      }
      Object min = raw.get("zoneMinClusterSize");
      if (min != null) {
        if (!(min instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
          return invalid("zoneMinClusterSize", "must be a whole number: " + min);
        }
        zone.minClusterSize((int) Math.min(Integer.MAX_VALUE, n.doubleValue()));
      }
      Object share = raw.get("zoneLocalShare");
      if (share != null) {
        if (!(share instanceof Number n)) {
          return invalid("zoneLocalShare", "must be a number: " + share);
        }
        zone.localShare(n.doubleValue());
      }
    } catch (IllegalArgumentException e) {
      return NameResolver.ConfigOrError.fromError(Status.INVALID_ARGUMENT.withDescription(
          POLICY_NAME + " config: " + e.getMessage()));
    }
    Object child = raw.get("childPolicy");
    if (child != null && !VerticeRoundRobinLoadBalancer.DELEGATE_POLICY.equals(child)
        && !VerticeRoundRobinLoadBalancer.PEAK_EWMA.equals(child)) {
      return invalid("childPolicy", "must be '" + VerticeRoundRobinLoadBalancer.DELEGATE_POLICY + "' or '"
          + VerticeRoundRobinLoadBalancer.PEAK_EWMA + "': " + child);
    }
    return NameResolver.ConfigOrError.fromConfig(new VerticeRoundRobinLoadBalancer.Config((String) service,
        zone.build(), child == null ? VerticeRoundRobinLoadBalancer.DELEGATE_POLICY : (String) child,
        PeakEwma.DEFAULT_DECAY));
  }

  private static NameResolver.ConfigOrError invalid(String field, String problem) {
    return NameResolver.ConfigOrError.fromError(Status.INVALID_ARGUMENT.withDescription(
        POLICY_NAME + " config field '" + field + "' " + problem));
  }

  private static LoadBalancerProvider roundRobin() {
    return LoadBalancerRegistry.getDefaultRegistry().getProvider(VerticeRoundRobinLoadBalancer.DELEGATE_POLICY);
  }
}
