package dev.vertice.client.internal;

import dev.vertice.client.TrafficPolicySnapshot;
import dev.vertice.client.VerticeAttributes;
import dev.vertice.common.PeakEwma;
import dev.vertice.common.Ticker;
import dev.vertice.common.ZoneConfig;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.util.ForwardingLoadBalancerHelper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * {@code VerticeRoundRobinLoadBalancer} is grpc-java's {@code round_robin} made drain-aware and
 * traffic-policy-aware.
 *
 * <p><b>Traffic policy.</b> Without a policy (or with one without subsets) it delegates to one
 * {@code round_robin} child over every address. When the resolved attributes carry a {@link
 * VerticeAttributes#TRAFFIC_POLICY} with subsets, it runs one {@code
 * round_robin} child per subset with a weight above 0 and at least one address (matched on the
 * addresses' {@link VerticeAttributes#VERSION} attribute); addresses of other versions get no
 * calls. Its picker first picks a READY child by weight, then delegates to that child's picker; a
 * child that is not READY yields its share to the others. With no READY child the channel is
 * CONNECTING (calls wait) while a child connects, and TRANSIENT_FAILURE (calls fail with the
 * children's errors) once all have failed. Children are keyed by version, so a weight change keeps
 * their connections.
 *
 * <p><b>Draining.</b> When the name resolver reports an error or no addresses (the last SERVING
 * instance turned DRAINING, NOT_SERVING or left), or a policy leaves no subset to call, it shuts
 * its children down, closing their subchannels, and fails new calls at once with UNAVAILABLE
 * ({@code "no SERVING instance of <service>: <reason>"}). Plain {@code round_robin} takes such a
 * result for a transient resolver problem and keeps sending new calls to the last addresses. Calls
 * already in flight on a closed subchannel finish (its transports shut down gracefully).
 * Wait-for-ready calls are not failed: they wait for the next address.
 *
 * <p>Not thread-safe: grpc calls it on the channel's synchronization context only. Its pickers are
 * thread-safe.
 */
public final class VerticeRoundRobinLoadBalancer extends LoadBalancer {

  /** The policy of each child. */
  public static final String DELEGATE_POLICY = "round_robin";

  /** The child policy that picks by latency (peak EWMA) instead of round robin. */
  public static final String PEAK_EWMA = "peak_ewma";

  /** Zone groups' weights are the subset weight times this, split by the local-zone probability. */
  static final int ZONE_SCALE = 1000;

  /**
   * {@code Config} is the parsed policy configuration.
   *
   * @param service the service named in errors; null to use the channel's authority
   * @param zone the zone-aware routing settings (no zone: off)
   * @param childPolicy {@value #DELEGATE_POLICY} or {@value #PEAK_EWMA}
   * @param peakEwmaDecay the decay time constant of the latency estimates of {@value #PEAK_EWMA}
   */
  public record Config(String service, ZoneConfig zone, String childPolicy, java.time.Duration peakEwmaDecay) {
    /** {@code Config} names the service only: round robin, no zone. */
    public Config(String service) {
      this(service, ZoneConfig.ofDefaults(), DELEGATE_POLICY, PeakEwma.DEFAULT_DECAY);
    }
  }

  private final Helper helper;
  private final LoadBalancerProvider roundRobin;
  private final Object roundRobinConfig;
  private final RandomGenerator random;
  private final Ticker ticker;
  /**
   * The children by group: subset version (the key {@code null} is the one child of "no policy"),
   * followed with zone-aware routing by {@code @local} or {@code @remote}.
   */
  private final Map<String, Child> children = new LinkedHashMap<>();
  private String service;
  private Config config = new Config(null);
  private boolean updating;

  /**
   * {@code VerticeRoundRobinLoadBalancer} balances for the channel behind {@code helper}, with
   * {@code roundRobin} children and subsets picked with {@code random} (called from any thread).
   */
  public VerticeRoundRobinLoadBalancer(Helper helper, LoadBalancerProvider roundRobin, RandomGenerator random) {
    this(helper, roundRobin, random, Ticker.system());
  }

  /**
   * {@code VerticeRoundRobinLoadBalancer} balances for the channel behind {@code helper}, with
   * {@code roundRobin} children, subsets and zone groups picked with {@code random} (called from any
   * thread) and call latencies timed by {@code ticker}.
   */
  public VerticeRoundRobinLoadBalancer(Helper helper, LoadBalancerProvider roundRobin, RandomGenerator random,
      Ticker ticker) {
    this.helper = Objects.requireNonNull(helper, "helper");
    this.roundRobin = Objects.requireNonNull(roundRobin, "roundRobin");
    this.random = Objects.requireNonNull(random, "random");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    NameResolver.ConfigOrError parsed = roundRobin.parseLoadBalancingPolicyConfig(Map.of());
    this.roundRobinConfig = parsed.getError() == null ? parsed.getConfig() : null;
  }

  /**
   * {@code acceptResolvedAddresses} splits the addresses by the traffic policy, if any, hands each
   * group to its {@code round_robin} child (created when missing; children no longer needed are
   * shut down) and returns the first child error, if any. An empty list, or a policy that leaves no
   * group, fails new calls; the UNAVAILABLE returned asks a polling resolver to try again.
   */
  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolvedAddresses) {
    if (resolvedAddresses.getLoadBalancingPolicyConfig() instanceof Config c) {
      if (c.service() != null) {
        service = c.service();
      }
      if (!c.childPolicy().equals(config.childPolicy())) {
        // Children of the other kind track (or do not track) their subchannels: start afresh.
        shutdownChildren();
      }
      config = c;
    }
    List<EquivalentAddressGroup> addresses = resolvedAddresses.getAddresses();
    if (addresses.isEmpty()) {
      Status empty = Status.UNAVAILABLE.withDescription("the name resolver returned no addresses");
      failAll(empty);
      return empty;
    }
    TrafficPolicySnapshot policy = resolvedAddresses.getAttributes()
        .get(VerticeAttributes.TRAFFIC_POLICY);
    Map<String, Group> groups = zoneGroups(groups(addresses, policy), config.zone());
    if (groups.isEmpty()) {
      Status none = Status.UNAVAILABLE.withDescription(noSubsetReason(addresses, policy));
      failAll(none);
      return none;
    }
    Status result = Status.OK;
    updating = true;
    try {
      for (Iterator<Map.Entry<String, Child>> it = children.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Child> e = it.next();
        if (!groups.containsKey(e.getKey())) {
          e.getValue().shutdown();
          it.remove();
        }
      }
      for (Map.Entry<String, Group> e : groups.entrySet()) {
        Child child = children.computeIfAbsent(e.getKey(), k -> new Child());
        child.weight = e.getValue().weight();
        Status accepted = child.balancer.acceptResolvedAddresses(resolvedAddresses.toBuilder()
            .setAddresses(e.getValue().addresses())
            .setLoadBalancingPolicyConfig(roundRobinConfig)
            .build());
        if (!accepted.isOk() && result.isOk()) {
          result = accepted;
        }
      }
    } finally {
      updating = false;
    }
    publish();
    return result;
  }

  /**
   * {@code handleNameResolutionError} closes the children's subchannels and fails new calls with
   * UNAVAILABLE naming the service and the resolver's reason.
   */
  @Override
  public void handleNameResolutionError(Status error) {
    failAll(error);
  }

  /** {@code requestConnection} asks every child to connect. */
  @Override
  public void requestConnection() {
    for (Child child : List.copyOf(children.values())) {
      child.balancer.requestConnection();
    }
  }

  /** {@code shutdown} shuts every child down. */
  @Override
  public void shutdown() {
    shutdownChildren();
  }

  /** The addresses to balance over, grouped by child key, in policy order. */
  private static Map<String, Group> groups(List<EquivalentAddressGroup> addresses, TrafficPolicySnapshot policy) {
    Map<String, Group> groups = new LinkedHashMap<>();
    if (policy == null || policy.subsets().isEmpty()) {
      groups.put(null, new Group(1, addresses));
      return groups;
    }
    Map<String, List<EquivalentAddressGroup>> byVersion = new LinkedHashMap<>();
    for (EquivalentAddressGroup a : addresses) {
      byVersion.computeIfAbsent(versionOf(a), v -> new ArrayList<>()).add(a);
    }
    for (TrafficPolicySnapshot.Subset s : policy.subsets()) {
      List<EquivalentAddressGroup> members = byVersion.get(s.version());
      if (s.weight() > 0 && members != null) {
        groups.put(s.version(), new Group(s.weight(), List.copyOf(members)));
      }
    }
    return groups;
  }

  /**
   * With zone-aware routing on, splits each group holding local and remote addresses (and at least
   * the minimum cluster size) into a local and a remote group whose weights share the group's weight
   * by the probability of staying local; a side left with no weight is dropped.
   */
  static Map<String, Group> zoneGroups(Map<String, Group> groups, ZoneConfig zone) {
    if (!zone.enabled()) {
      return groups;
    }
    Map<String, Group> out = new LinkedHashMap<>();
    for (Map.Entry<String, Group> e : groups.entrySet()) {
      Group g = e.getValue();
      List<EquivalentAddressGroup> local = new ArrayList<>();
      List<EquivalentAddressGroup> remote = new ArrayList<>();
      Set<String> zones = new HashSet<>();
      long localWeight = 0;
      long totalWeight = 0;
      for (EquivalentAddressGroup a : g.addresses()) {
        String z = a.getAttributes().get(VerticeAttributes.ZONE);
        z = z == null ? "" : z;
        zones.add(z);
        int w = weightOf(a);
        totalWeight += w;
        if (z.equals(zone.zone())) {
          local.add(a);
          localWeight += w;
        } else {
          remote.add(a);
        }
      }
      if (g.addresses().size() < zone.minClusterSize() || local.isEmpty() || remote.isEmpty()) {
        out.put(e.getKey(), g);
        continue;
      }
      double p = zone.localProbability(localWeight, totalWeight, zones.size());
      int scaled = g.weight() * ZONE_SCALE;
      int localShare = (int) Math.round(scaled * p);
      String key = e.getKey() == null ? "" : e.getKey();
      if (localShare > 0) {
        out.put(key + "@local", new Group(localShare, List.copyOf(local)));
      }
      if (scaled - localShare > 0) {
        out.put(key + "@remote", new Group(scaled - localShare, List.copyOf(remote)));
      }
    }
    return out;
  }

  private static int weightOf(EquivalentAddressGroup a) {
    Integer w = a.getAttributes().get(VerticeAttributes.WEIGHT);
    return w == null || w < 1 ? 1 : w;
  }

  private static String versionOf(EquivalentAddressGroup a) {
    String v = a.getAttributes().get(VerticeAttributes.VERSION);
    return v == null ? "" : v;
  }

  private static String noSubsetReason(List<EquivalentAddressGroup> addresses, TrafficPolicySnapshot policy) {
    List<String> weighted = new ArrayList<>();
    for (TrafficPolicySnapshot.Subset s : policy.subsets()) {
      weighted.add(s.version() + "=" + s.weight());
    }
    TreeSet<String> serving = new TreeSet<>();
    for (EquivalentAddressGroup a : addresses) {
      serving.add("'" + versionOf(a) + "'");
    }
    return "the traffic policy " + weighted + " sends calls to no version that has an address"
        + " (versions with addresses: " + serving + ")";
  }

  private void failAll(Status cause) {
    shutdownChildren();
    String name = service != null ? service : helper.getAuthority();
    String reason = cause.getDescription() == null ? cause.getCode().toString() : cause.getDescription();
    Status failure = Status.UNAVAILABLE.withDescription("no SERVING instance of " + name + ": " + reason)
        .withCause(cause.getCause());
    helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE,
        new FixedResultPicker(PickResult.withError(failure)));
  }

  private void shutdownChildren() {
    for (Child child : children.values()) {
      child.shutdown();
    }
    children.clear();
  }

  /** Publishes the channel's state and picker, computed from the children's. */
  private void publish() {
    if (updating || children.isEmpty()) {
      return;
    }
    if (children.size() == 1) {
      // One child: its state and picker are the channel's, exactly as plain round_robin's.
      Child only = children.values().iterator().next();
      if (only.picker != null) {
        helper.updateBalancingState(only.state, only.picker);
      } else {
        helper.updateBalancingState(ConnectivityState.CONNECTING, new FixedResultPicker(PickResult.withNoResult()));
      }
      return;
    }
    List<Child> ready = new ArrayList<>();
    List<Child> connecting = new ArrayList<>();
    boolean anyConnecting = false;
    for (Child c : children.values()) {
      ConnectivityState s = c.effectiveState();
      if (s == ConnectivityState.READY) {
        ready.add(c);
      } else if (s == ConnectivityState.CONNECTING || s == ConnectivityState.IDLE) {
        connecting.add(c);
        anyConnecting |= s == ConnectivityState.CONNECTING;
      }
    }
    ConnectivityState state;
    List<Child> eligible;
    if (!ready.isEmpty()) {
      state = ConnectivityState.READY;
      eligible = ready;
    } else if (!connecting.isEmpty()) {
      // An IDLE child's picker asks it to connect; a CONNECTING one's makes the call wait.
      state = anyConnecting ? ConnectivityState.CONNECTING : ConnectivityState.IDLE;
      eligible = connecting;
    } else {
      state = ConnectivityState.TRANSIENT_FAILURE;
      eligible = List.copyOf(children.values());
    }
    SubchannelPicker[] pickers = new SubchannelPicker[eligible.size()];
    int[] weights = new int[eligible.size()];
    for (int i = 0; i < pickers.length; i++) {
      pickers[i] = eligible.get(i).effectivePicker();
      weights[i] = eligible.get(i).weight;
    }
    helper.updateBalancingState(state, new WeightedPicker(pickers, weights, random));
  }

  /** One child's addresses and weight. */
  record Group(int weight, List<EquivalentAddressGroup> addresses) {}

  /** One {@code round_robin} child and what it last reported. */
  private final class Child {
    final ChildHelper childHelper = new ChildHelper(this);
    final LoadBalancer balancer = roundRobin.newLoadBalancer(childHelper);
    /** With {@value #PEAK_EWMA}: the child's subchannels, tracked for the latency-aware picker. */
    final List<PeakEwmaPicker.Tracked> tracked = new ArrayList<>();
    int weight;
    ConnectivityState state; // null until the child reports
    SubchannelPicker picker;

    ConnectivityState effectiveState() {
      return state == null ? ConnectivityState.CONNECTING : state;
    }

    SubchannelPicker effectivePicker() {
      return picker == null ? new FixedResultPicker(PickResult.withNoResult()) : picker;
    }

    void shutdown() {
      // Detached first: whatever it reports while shutting down is not ours to publish.
      childHelper.detached = true;
      balancer.shutdown();
    }
  }

  /** The channel's helper as seen by one child: silenced once that child is shut down. */
  private final class ChildHelper extends ForwardingLoadBalancerHelper {
    private final Child child;
    boolean detached;

    ChildHelper(Child child) {
      this.child = child;
    }

    @Override
    protected Helper delegate() {
      return helper;
    }

    @Override
    public Subchannel createSubchannel(CreateSubchannelArgs args) {
      Subchannel sc = super.createSubchannel(args);
      if (!PEAK_EWMA.equals(config.childPolicy())) {
        return sc;
      }
      int weight = args.getAddresses().isEmpty() ? 1 : weightOf(args.getAddresses().get(0));
      PeakEwmaPicker.Tracked[] self = new PeakEwmaPicker.Tracked[1];
      self[0] = new PeakEwmaPicker.Tracked(sc, weight, ticker, config.peakEwmaDecay(),
          () -> child.tracked.remove(self[0]));
      child.tracked.add(self[0]);
      return self[0];
    }

    @Override
    public void updateBalancingState(ConnectivityState state, SubchannelPicker picker) {
      if (!detached) {
        child.state = state;
        child.picker = picker;
        if (state == ConnectivityState.READY && PEAK_EWMA.equals(config.childPolicy())) {
          // round_robin's picker is replaced by the latency-aware one over the same READY subchannels.
          List<PeakEwmaPicker.Tracked> ready = new ArrayList<>();
          for (PeakEwmaPicker.Tracked t : child.tracked) {
            if (t.state() == ConnectivityState.READY) {
              ready.add(t);
            }
          }
          if (!ready.isEmpty()) {
            child.picker = new PeakEwmaPicker(ready);
          }
        }
        publish();
      }
    }

    @Override
    public void refreshNameResolution() {
      if (!detached) {
        helper.refreshNameResolution();
      }
    }
  }

  /**
   * {@code WeightedPicker} picks one of several pickers with a probability proportional to its
   * weight, then delegates the pick to it. Thread-safe when its random generator is.
   */
  static final class WeightedPicker extends SubchannelPicker {
    private final SubchannelPicker[] pickers;
    private final int[] cumulative;
    private final int total;
    private final RandomGenerator random;

    /**
     * {@code WeightedPicker} picks among {@code pickers} by {@code weights} (positive, same length).
     *
     * @throws IllegalArgumentException when the lengths differ, none is given or a weight is not
     *     positive
     */
    WeightedPicker(SubchannelPicker[] pickers, int[] weights, RandomGenerator random) {
      if (pickers.length == 0 || pickers.length != weights.length) {
        throw new IllegalArgumentException("need as many weights as pickers, at least one: "
            + pickers.length + " pickers, " + weights.length + " weights");
      }
      this.pickers = pickers.clone();
      this.cumulative = new int[weights.length];
      int sum = 0;
      for (int i = 0; i < weights.length; i++) {
        if (weights[i] <= 0) {
          throw new IllegalArgumentException("weight " + i + " is not positive: " + weights[i]);
        }
        sum = Math.addExact(sum, weights[i]);
        cumulative[i] = sum;
      }
      this.total = sum;
      this.random = random;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return pickers[index(random.nextInt(total))].pickSubchannel(args);
    }

    /** The index of the picker whose cumulative weight range holds {@code r} (0 ≤ r < total). */
    int index(int r) {
      int lo = 0;
      int hi = cumulative.length - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (r < cumulative[mid]) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return lo;
    }

    @Override
    public String toString() {
      return "WeightedPicker" + Arrays.toString(cumulative);
    }
  }
}
