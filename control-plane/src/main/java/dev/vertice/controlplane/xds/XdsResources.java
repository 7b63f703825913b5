package dev.vertice.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.ResourceSource;
import dev.vertice.controlplane.registry.Registry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * report their changes to {@link #onChange} in their order (the registry from its change
 * listener, under its lock); the projection of the changed service is rebuilt from the current
 * instances and policy, and every derived resource whose content differs takes the change's
 * version and is reported to the downstream listener (the push engine). A derived resource whose
 * content did not change keeps its version, so clients are not sent it again.
 *
 * <p>Thread-safe: changes are applied under one lock (a leaf below the registry's, above the
 * engine's); reads ({@link ResourceSource#get}, {@link ResourceSource#names}) take no lock.
 */
public final class XdsResources {

  private final Object lock = new Object();
  private final Function<String, List<Instance>> instances;
  private final Function<String, TrafficPolicy> policies;
  private final Registry.ChangeListener downstream;
  private final Map<String, ConcurrentHashMap<String, Resource>> current = new LinkedHashMap<>();
  private final Map<String, XdsMapping.Resources> byService = new HashMap<>(); // guarded by lock
  private final Map<String, Long> lastVersion = new HashMap<>(); // guarded by lock
  private final List<ResourceSource> sources;

  /**
   * Creates an empty projection.
   *
   * @param instances the current instances of a service, in any health (empty when none); called
   *     from {@link #onChange}, so under the caller's lock
   * @param policies the current traffic policy of a service, or null when it has none
   * @param downstream receives the changes of derived resources, in order
   */
  public XdsResources(Function<String, List<Instance>> instances, Function<String, TrafficPolicy> policies,
      Registry.ChangeListener downstream) {
    this.instances = Objects.requireNonNull(instances, "instances");
    this.policies = Objects.requireNonNull(policies, "policies");
    this.downstream = Objects.requireNonNull(downstream, "downstream");
    List<ResourceSource> list = new ArrayList<>();
    for (String type : XdsTypes.ALL) {
      ConcurrentHashMap<String, Resource> map = new ConcurrentHashMap<>();
      current.put(type, map);
      list.add(new Source(type, map));
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
   * facts' order (versions do not go back for one service).
   */
  public void onChange(String typeUrl, String name, long version, long changedAtNanos) {
    if (!ResourceTypes.ENDPOINTS.equals(typeUrl) && !ResourceTypes.TRAFFIC_POLICY.equals(typeUrl)) {
      return;
    }
    synchronized (lock) {
      // A snapshot reload reports a service's policy and instances at their own revisions, in any
      // order: the derived resources' versions never go back.
      Long last = lastVersion.get(name);
      if (last != null && last > version) {
        version = last;
      }
      XdsMapping.Resources next = XdsMapping.map(name, instances.apply(name), policies.apply(name));
      XdsMapping.Resources prev = byService.getOrDefault(name, XdsMapping.Resources.NONE);
      List<String[]> changed = new ArrayList<>();
      for (String type : XdsTypes.ALL) {
        Map<String, Message> before = prev.of(type);
        Map<String, Message> after = next.of(type);
        ConcurrentHashMap<String, Resource> live = current.get(type);
        for (Map.Entry<String, Message> e : after.entrySet()) {
          if (!e.getValue().equals(before.get(e.getKey()))) {
            Any any = Any.pack(e.getValue());
            live.put(e.getKey(), new Resource(type, e.getKey(), version, any, any.getSerializedSize()));
            changed.add(new String[] {type, e.getKey()});
          }
        }
        for (String gone : before.keySet()) {
          if (!after.containsKey(gone)) {
            live.remove(gone);
            changed.add(new String[] {type, gone});
          }
        }
      }
      if (next.byType().isEmpty()) {
        byService.remove(name);
        lastVersion.remove(name);
      } else {
        byService.put(name, next);
        lastVersion.put(name, version);
      }
      // Reported after every map is updated: the engine asks the sources whether a name exists.
      for (String[] c : changed) {
        downstream.onChange(c[0], c[1], version, changedAtNanos);
      }
    }
  }

  /** Returns the number of services projected. */
  public int serviceCount() {
    synchronized (lock) {
      return byService.size();
    }
  }

  /** One xDS type's resources, read without a lock. */
  private record Source(String typeUrl, ConcurrentHashMap<String, Resource> map) implements ResourceSource {

    @Override
    public Resource get(String name) {
      return map.get(name);
    }

    @Override
    public Collection<String> names() {
      return map.keySet();
    }
  }
}
