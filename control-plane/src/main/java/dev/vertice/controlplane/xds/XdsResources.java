package dev.vertice.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.ChangeListener;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.ResourceSource;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.ServiceShape;
import dev.vertice.controlplane.registry.ServiceSummary;
import dev.vertice.controlplane.registry.ServiceView;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * {@code XdsResources} is the xDS projection of the registry: the Listener, RouteConfiguration,
 * Cluster and ClusterLoadAssignment resources of every service ({@link XdsMapping}), served to
 * the push engine as four {@link ResourceSource}s.
 *
 * <p>It is not a second source of truth: it holds no fact of its own. The owners of the facts
 * report their changes to {@link #onChange} in their order (the registry view, whose listener
 * this is, under its lock); the projection of the changed service is rebuilt from the current
 * instances and policy, and every derived resource that changed takes the change's version and
 * is reported to the downstream listener (the push engine).
 *
 * <p>Cost on the writer's path: Listener, RouteConfiguration and Cluster resources are small
 * (one per version label); they are rebuilt and compared only when the service's {@link
 * ServiceShape} or policy changes (the registry view keeps the shape as instances come and go, so
 * an ordinary change reads no instance), and one whose content did not change keeps its version
 * and is not sent again. ClusterLoadAssignments grow with the
 * instances: at an instance change every assignment of the service takes the new version, and
 * each is built only when a subscriber first reads that version, from the instances current then,
 * outside the writer's lock. An assignment is therefore never built when no xDS client watches it,
 * and may be sent again with the same content after a change that did not touch it.
 *
 * <p>Built from a {@link RegistryView}, the projection starts idle: until {@link #activate()} (the
 * ADS service calls it when an xDS stream opens) a registry change costs it nothing, and the first
 * activation builds every service's resources from the view's current state, with no change
 * applied meanwhile, before following the changes. Built from functions, it follows from the start.
 *
 * <p>Thread-safe: changes are applied under one lock (a leaf below the registry's, above the
 * engine's); reads ({@link ResourceSource#get}, {@link ResourceSource#names}) take no lock of
 * this class.
 */
public final class XdsResources implements ChangeListener {

  private final Object lock = new Object();
  private final Function<String, List<Instance>> instances;
  private final Function<String, ServiceShape> shapeOf;
  private final Function<String, TrafficPolicy> policies;
  private final ChangeListener downstream;
  private final Map<String, ConcurrentHashMap<String, Resource>> eager = new HashMap<>();
  private final ConcurrentHashMap<String, Assignment> assignments = new ConcurrentHashMap<>();
  private final Map<String, XdsMapping.Resources> byService = new HashMap<>(); // guarded by lock
  private final Map<String, Long> lastVersion = new HashMap<>(); // guarded by lock
  /** The instance shape each service's eager resources were built from; guarded by lock. */
  private final Map<String, ServiceShape> shapes = new HashMap<>();
  private final List<ResourceSource> sources;
  /** The view the projection is built from at its first activation; null: active from the start. */
  private final RegistryView view;
  private volatile boolean active;

  /** One ClusterLoadAssignment at one version, built on first read. */
  private static final class Assignment {
    final String service;
    /** The subset's version label, or null for the whole service. */
    final String subset;
    final String name;
    final long version;
    volatile Resource built;

    Assignment(String service, String subset, String name, long version) {
      this.service = service;
      this.subset = subset;
      this.name = name;
      this.version = version;
    }
  }

  /**
   * Creates an empty projection of {@code view}'s instances and policies; add it to the view's
   * listeners before the view's first change.
   *
   * @param downstream receives the changes of derived resources, in order (the push engine)
   */
  public XdsResources(RegistryView view, ChangeListener downstream) {
    this(name -> {
      ServiceView service = view.service(name);
      return service == null ? List.of() : service.instances();
    }, view::shape, name -> {
      StoredTrafficPolicy policy = view.trafficPolicy(name);
      return policy == null ? null : policy.policy();
    }, downstream, Objects.requireNonNull(view, "view"));
  }

  /**
   * Creates an empty projection, active at once, that works a service's shape out from its
   * instances at each change.
   *
   * @param instances the current instances of a service, in any health (empty when none); called
   *     from {@link #onChange} under the caller's lock, and when an assignment is read, with no
   *     lock of this class held
   * @param policies the current traffic policy of a service, or null when it has none
   * @param downstream receives the changes of derived resources, in order
   */
  public XdsResources(Function<String, List<Instance>> instances, Function<String, TrafficPolicy> policies,
      ChangeListener downstream) {
    this(instances, name -> ServiceShape.of(instances.apply(name)), policies, downstream, null);
  }

  /**
   * Creates an empty projection: idle until {@link #activate()} when {@code view} is given, else
   * active at once.
   *
   * @param shapes the current shape of a service's instances, called from {@link #onChange} under
   *     the caller's lock; while it stays the same, {@code instances} is not called
   */
  private XdsResources(Function<String, List<Instance>> instances, Function<String, ServiceShape> shapes,
      Function<String, TrafficPolicy> policies, ChangeListener downstream, RegistryView view) {
    this.view = view;
    this.active = view == null;
    this.instances = Objects.requireNonNull(instances, "instances");
    this.shapeOf = Objects.requireNonNull(shapes, "shapes");
    this.policies = Objects.requireNonNull(policies, "policies");
    this.downstream = Objects.requireNonNull(downstream, "downstream");
    List<ResourceSource> list = new ArrayList<>();
    for (String type : XdsTypes.ALL) {
      if (type.equals(XdsTypes.ENDPOINT)) {
        list.add(new AssignmentSource());
      } else {
        ConcurrentHashMap<String, Resource> map = new ConcurrentHashMap<>();
        eager.put(type, map);
        list.add(new EagerSource(type, map));
      }
    }
    this.sources = List.copyOf(list);
  }

  /** Returns the sources of the four xDS types, for the push engine. */
  public List<ResourceSource> sources() {
    return sources;
  }

  /**
   * Takes a change of a fact the projection derives from: Endpoints or TrafficPolicy of service
   * {@code name} at {@code version}. Changes of other types are ignored. Must be called in the
   * facts' order.
   */
  @Override
  public void onChange(String typeUrl, String name, long version, long changedAtNanos) {
    // Idle: the view holds the change, and activate() reads it from there.
    if (active) {
      project(typeUrl, name, version, changedAtNanos, true);
    }
  }

  /**
   * Starts following the view, if not started yet: builds the resources of every service it holds
   * (instances or policy), each at the service's newest version (its Endpoints version or its
   * policy's revision, whichever is higher), with no change applied meanwhile. Returns once they are
   * built, so that a subscription made afterwards lists them. No xDS subscriber exists before the
   * first activation, so the engine is not told of these.
   */
  public void activate() {
    if (active) {
      return;
    }
    view.withoutChanges(() -> {
      if (active) {
        return;
      }
      Map<String, Long> versions = new HashMap<>();
      for (ServiceSummary s : view.services()) {
        versions.merge(s.service(), s.version(), Math::max);
      }
      Map<String, Long> policyOnly = new HashMap<>();
      for (StoredTrafficPolicy p : view.trafficPolicies()) {
        if (versions.containsKey(p.service())) {
          versions.merge(p.service(), p.revision(), Math::max);
        } else {
          policyOnly.put(p.service(), p.revision());
        }
      }
      for (Map.Entry<String, Long> e : versions.entrySet()) {
        project(ResourceTypes.ENDPOINTS, e.getKey(), e.getValue(), 0, false);
      }
      for (Map.Entry<String, Long> e : policyOnly.entrySet()) {
        project(ResourceTypes.TRAFFIC_POLICY, e.getKey(), e.getValue(), 0, false);
      }
      active = true;
    });
  }

  /** Returns whether the projection follows the registry (see {@link #activate()}). */
  public boolean active() {
    return active;
  }

  private void project(String typeUrl, String name, long version, long changedAtNanos, boolean report) {
    boolean instancesChanged = ResourceTypes.ENDPOINTS.equals(typeUrl);
    if (!instancesChanged && !ResourceTypes.TRAFFIC_POLICY.equals(typeUrl)) {
      return;
    }
    synchronized (lock) {
      // A snapshot reload reports a service's policy and instances at their own revisions, in any
      // order: the derived resources' versions never go back.
      Long last = lastVersion.get(name);
      if (last != null && last > version) {
        version = last;
      }
      XdsMapping.Resources prev = byService.getOrDefault(name, XdsMapping.Resources.NONE);
      ServiceShape shape = shapeOf.apply(name);
      if (instancesChanged && prev != XdsMapping.Resources.NONE && shape.equals(shapes.get(name))) {
        // Same labels, protocol and serving subsets (say a port or a weight changed): the Listener,
        // Route and Clusters would come out equal, so only the assignments take the new version,
        // without rebuilding and comparing the rest (the write path's largest cost otherwise).
        List<String> renewed = new ArrayList<>(prev.of(XdsTypes.ENDPOINT).keySet());
        for (String n : renewed) {
          String subset = n.equals(name) ? null : n.substring(name.length() + XdsMapping.SUBSET_SEPARATOR.length());
          assignments.put(n, new Assignment(name, subset, n, version));
        }
        lastVersion.put(name, version);
        if (report) {
          for (String n : renewed) {
            downstream.onChange(XdsTypes.ENDPOINT, n, version, changedAtNanos);
          }
        }
        return;
      }
      XdsMapping.Resources next = XdsMapping.mapWithoutEndpoints(name, instances.apply(name), policies.apply(name));
      List<String[]> changed = new ArrayList<>();
      for (String type : XdsTypes.ALL) {
        Map<String, Message> before = prev.of(type);
        Map<String, Message> after = next.of(type);
        boolean isAssignment = type.equals(XdsTypes.ENDPOINT);
        for (Map.Entry<String, Message> e : after.entrySet()) {
          String n = e.getKey();
          if (isAssignment) {
            // Assignments are not compared (they are not built here): every one changes with the
            // instances; a policy change only adds or removes subsets.
            if (instancesChanged || !before.containsKey(n)) {
              String subset = n.equals(name) ? null : n.substring(name.length() + XdsMapping.SUBSET_SEPARATOR.length());
              assignments.put(n, new Assignment(name, subset, n, version));
              changed.add(new String[] {type, n});
            }
          } else if (!e.getValue().equals(before.get(n))) {
            Any any = Any.pack(e.getValue());
            eager.get(type).put(n, new Resource(type, n, version, any, any.getSerializedSize()));
            changed.add(new String[] {type, n});
          }
        }
        for (String gone : before.keySet()) {
          if (!after.containsKey(gone)) {
            if (isAssignment) {
              assignments.remove(gone);
            } else {
              eager.get(type).remove(gone);
            }
            changed.add(new String[] {type, gone});
          }
        }
      }
      if (next.byType().isEmpty()) {
        byService.remove(name);
        lastVersion.remove(name);
        shapes.remove(name);
      } else {
        byService.put(name, next);
        lastVersion.put(name, version);
        shapes.put(name, shape);
      }
      // Reported after every map is updated: the engine asks the sources whether a name exists.
      if (report) {
        for (String[] c : changed) {
          downstream.onChange(c[0], c[1], version, changedAtNanos);
        }
      }
    }
  }

  /** Returns the number of services projected. */
  public int serviceCount() {
    synchronized (lock) {
      return byService.size();
    }
  }

  /** Listener, RouteConfiguration or Cluster resources, built at the change, read without a lock. */
  private record EagerSource(String typeUrl, ConcurrentHashMap<String, Resource> map) implements ResourceSource {

    @Override
    public Resource get(String name) {
      return map.get(name);
    }

    @Override
    public Collection<String> names() {
      return map.keySet();
    }
  }

  /** ClusterLoadAssignments, each built at its first read. */
  private final class AssignmentSource implements ResourceSource {

    @Override
    public String typeUrl() {
      return XdsTypes.ENDPOINT;
    }

    @Override
    public Resource get(String name) {
      Assignment a = assignments.get(name);
      if (a == null) {
        return null;
      }
      Resource r = a.built;
      if (r == null) {
        // Built from the instances current now, which reflect at least this version: content
        // newer than the version is sent again, labelled with the newer version, after its change.
        Any any = Any.pack(XdsMapping.loadAssignment(a.name, a.subset, instances.apply(a.service)));
        r = new Resource(XdsTypes.ENDPOINT, a.name, a.version, any, any.getSerializedSize());
        a.built = r;
      }
      return r;
    }

    @Override
    public Collection<String> names() {
      return assignments.keySet();
    }
  }
}
