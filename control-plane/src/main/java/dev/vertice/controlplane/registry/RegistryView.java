package dev.vertice.controlplane.registry;

import com.google.protobuf.Any;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.ChangeListener;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.ResourceSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code RegistryView} is the read side of the registry: the instances of every service and the
 * TrafficPolicy of each, as this replica holds them, and the source of the {@code Endpoints} and
 * {@code TrafficPolicy} resources that the push engine serves.
 *
 * <p>It decides nothing. The store of this replica (in memory, or the follower of Redis's change
 * log) is its one writer: it applies each accepted change with the revision the store gave it,
 * through {@link #apply}, {@link #applyTrafficPolicy} and {@link #replaceAll}. Every change is
 * reported to the {@link ChangeListener}s in revision order while the view's lock is held; both
 * resource types take revisions from the one sequence, so one history orders them and versions
 * stay {@code <epoch>-<revision>} on every replica. It holds no lease and expires nothing.
 *
 * <p>Reads of resources ({@link #endpointsSource()}, {@link #trafficPolicySource()}) are lock-free
 * on the fast path: each service keeps an immutable snapshot of its Endpoints, rebuilt at most once
 * per version when first read; policies are immutable entries.
 */
public final class RegistryView {

  private static final ChangeListener[] NO_LISTENERS = new ChangeListener[0];

  private static final class ServiceEntry {
    final String name;
    final TreeMap<String, Instance> instances = new TreeMap<>(); // guarded by the view lock
    final ServiceShape.Counts shape = new ServiceShape.Counts(); // of instances; guarded by the view lock
    volatile long version;
    volatile Resource snapshot;

    ServiceEntry(String name) {
      this.name = name;
    }
  }

  /** One service's TrafficPolicy at one revision, with its wire form built once. */
  private record PolicyEntry(StoredTrafficPolicy stored, Resource resource) {}

  private final Object lock = new Object();
  private final ConcurrentHashMap<String, ServiceEntry> services = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, PolicyEntry> policies = new ConcurrentHashMap<>();
  private final ResourceSource endpointsSource = new EndpointsSource();
  private final ResourceSource policySource = new PolicySource();
  private volatile ChangeListener[] listeners = NO_LISTENERS;
  private volatile long revision; // written under lock; read without it
  private int instanceCount; // guarded by lock

  /** Creates an empty view; add its listeners before the first change. */
  public RegistryView() {}

  /**
   * Adds a receiver of every change, called after those added before it. Call before the first
   * change: a listener added later misses what came before.
   */
  public void addListener(ChangeListener listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (lock) {
      ChangeListener[] next = java.util.Arrays.copyOf(listeners, listeners.length + 1);
      next[listeners.length] = listener;
      listeners = next;
    }
  }

  // --- the writer's side ---

  /**
   * Applies a change decided by the store, in revision order: a non-null {@code instance} adds or
   * replaces {@code service/instanceId}, null removes it. A revision not above the last applied one
   * is ignored, so replaying a change log is harmless.
   *
   * @param changedAtNanos when the change was committed or observed, for convergence
   */
  public void apply(String service, String instanceId, Instance instance, long revision, long changedAtNanos) {
    synchronized (lock) {
      if (revision <= this.revision) {
        return;
      }
      ServiceEntry entry = services.get(service);
      if (instance != null) {
        if (entry == null) {
          entry = new ServiceEntry(service);
          services.put(service, entry);
        }
        Instance before = entry.instances.put(instanceId, instance);
        entry.shape.add(instance); // in before out: an update that moves no label keeps the shape
        if (before == null) {
          instanceCount++;
        } else {
          entry.shape.remove(before);
        }
      } else {
        Instance removed = entry == null ? null : entry.instances.remove(instanceId);
        if (removed == null) {
          this.revision = Math.max(this.revision, revision);
          return;
        }
        entry.shape.remove(removed);
        instanceCount--;
        if (entry.instances.isEmpty()) {
          services.remove(service);
        }
      }
      entry.version = revision;
      report(ResourceTypes.ENDPOINTS, service, revision, changedAtNanos);
      // Published after the listeners: a writer waiting for this revision finds them informed.
      this.revision = Math.max(this.revision, revision);
    }
  }

  /**
   * Applies a TrafficPolicy change decided by the store, in revision order: a non-null {@code
   * policy} adds or replaces the policy of {@code service}, null removes it. A revision not above
   * the last applied one is ignored.
   */
  public void applyTrafficPolicy(String service, TrafficPolicy policy, long revision, long changedAtNanos) {
    synchronized (lock) {
      if (revision <= this.revision) {
        return;
      }
      if (policy == null) {
        if (policies.remove(service) == null) {
          this.revision = Math.max(this.revision, revision);
          return;
        }
      } else {
        policies.put(service, entry(new StoredTrafficPolicy(service, policy, revision)));
      }
      report(ResourceTypes.TRAFFIC_POLICY, service, revision, changedAtNanos);
      this.revision = Math.max(this.revision, revision);
    }
  }

  /**
   * Replaces the whole view with {@code state} (service to instances) at {@code revision}, as a
   * replica does when the change log no longer reaches back to what it holds. Every service that
   * differs is reported changed at {@code versions.get(service)} (or {@code revision}). With {@code
   * force}, every service is replaced and the revision may go back: the store lost history.
   */
  public void replaceAll(Map<String, List<Instance>> state, Map<String, Long> versions, long revision,
      long changedAtNanos, boolean force) {
    replaceAll(state, versions, Map.of(), revision, changedAtNanos, force);
  }

  /**
   * As {@link #replaceAll(Map, Map, long, long, boolean)}, and replaces the TrafficPolicies too
   * with {@code policyState} (service to policy and its version): policies that differ are
   * reported changed, those absent from it removed at {@code revision}.
   */
  public void replaceAll(Map<String, List<Instance>> state, Map<String, Long> versions,
      Map<String, StoredTrafficPolicy> policyState, long revision, long changedAtNanos, boolean force) {
    synchronized (lock) {
      for (String service : List.copyOf(policies.keySet())) {
        if (!policyState.containsKey(service)) {
          policies.remove(service);
          report(ResourceTypes.TRAFFIC_POLICY, service, revision, changedAtNanos);
        }
      }
      for (StoredTrafficPolicy p : policyState.values()) {
        PolicyEntry current = policies.get(p.service());
        if (current != null && current.stored().revision() == p.revision() && !force) {
          continue; // unchanged
        }
        policies.put(p.service(), entry(p));
        report(ResourceTypes.TRAFFIC_POLICY, p.service(), p.revision(), changedAtNanos);
      }
      for (String service : List.copyOf(services.keySet())) {
        if (!state.containsKey(service)) {
          ServiceEntry gone = services.remove(service);
          instanceCount -= gone.instances.size();
          gone.version = revision;
          report(ResourceTypes.ENDPOINTS, service, revision, changedAtNanos);
        }
      }
      for (Map.Entry<String, List<Instance>> e : state.entrySet()) {
        long version = versions.getOrDefault(e.getKey(), revision);
        ServiceEntry entry = services.get(e.getKey());
        if (entry != null && entry.version == version && !force) {
          continue; // unchanged
        }
        if (entry != null) {
          instanceCount -= entry.instances.size();
        }
        // A fresh entry, never the old one cleared: after lost history (force) a version number can
        // come back, and the old entry's cached snapshot of that version would be served again.
        entry = new ServiceEntry(e.getKey());
        services.put(e.getKey(), entry);
        for (Instance i : e.getValue()) {
          Instance before = entry.instances.put(i.getInstanceId(), i);
          entry.shape.add(i);
          if (before != null) {
            entry.shape.remove(before);
          }
        }
        instanceCount += entry.instances.size();
        entry.version = version;
        report(ResourceTypes.ENDPOINTS, e.getKey(), version, changedAtNanos);
      }
      // Forced: the store's history went back, and the view follows it.
      this.revision = force ? revision : Math.max(this.revision, revision);
    }
  }

  /** Caller holds lock. */
  private void report(String typeUrl, String name, long version, long changedAtNanos) {
    for (ChangeListener l : listeners) {
      l.onChange(typeUrl, name, version, changedAtNanos);
    }
  }

  /**
   * Runs {@code action} with no change applied or reported meanwhile (under the lock the listeners
   * are called under): for a listener that starts late, to read the current state and then hear of
   * every later change exactly once. {@code action} may read this view; it must not block.
   */
  public void withoutChanges(Runnable action) {
    synchronized (lock) {
      action.run();
    }
  }

  // --- reads ---

  /** Returns instance {@code service/instanceId}, or null when the view does not hold it. */
  public Instance instance(String service, String instanceId) {
    synchronized (lock) {
      ServiceEntry entry = services.get(service);
      return entry == null ? null : entry.instances.get(instanceId);
    }
  }

  /** Returns the Endpoints version of {@code service}: the revision of its last change, or 0 when it has no instance. */
  public long version(String service) {
    ServiceEntry entry = services.get(service);
    return entry == null ? 0 : entry.version;
  }

  /**
   * Returns the shape of {@code service}'s instances ({@link ServiceShape#NONE} when it has none),
   * kept up to date at each change: no instance is looked at.
   */
  public ServiceShape shape(String service) {
    synchronized (lock) {
      ServiceEntry entry = services.get(service);
      return entry == null ? ServiceShape.NONE : entry.shape.shape();
    }
  }

  /** Returns an immutable copy of one service, or null when it has no instance. */
  public ServiceView service(String service) {
    synchronized (lock) {
      ServiceEntry entry = services.get(service);
      if (entry == null) {
        return null;
      }
      return new ServiceView(service, entry.version, new ArrayList<>(entry.instances.values()));
    }
  }

  /** Returns a summary of every service, sorted by name. */
  public List<ServiceSummary> services() {
    synchronized (lock) {
      List<ServiceSummary> out = new ArrayList<>(services.size());
      for (ServiceEntry e : new TreeMap<>(services).values()) {
        int serving = 0;
        for (Instance i : e.instances.values()) {
          if (i.getHealth() == HealthStatus.HEALTH_STATUS_SERVING) {
            serving++;
          }
        }
        out.add(new ServiceSummary(e.name, e.instances.size(), serving, e.version));
      }
      return out;
    }
  }

  /** Returns the revision of the last change applied. */
  public long revision() {
    return revision;
  }

  /** Returns the number of instances held. */
  public int instanceCount() {
    synchronized (lock) {
      return instanceCount;
    }
  }

  /** Returns the number of instances of {@code service}. */
  public int instanceCount(String service) {
    synchronized (lock) {
      ServiceEntry entry = services.get(service);
      return entry == null ? 0 : entry.instances.size();
    }
  }

  /** Returns the TrafficPolicy of {@code service} held by this view, or null when it has none. */
  public StoredTrafficPolicy trafficPolicy(String service) {
    PolicyEntry e = policies.get(service);
    return e == null ? null : e.stored();
  }

  /** Returns every TrafficPolicy held by this view, sorted by service. */
  public List<StoredTrafficPolicy> trafficPolicies() {
    List<StoredTrafficPolicy> out = new ArrayList<>();
    for (PolicyEntry e : new TreeMap<>(policies).values()) {
      out.add(e.stored());
    }
    return out;
  }

  /** Returns how many services have a TrafficPolicy. */
  public int trafficPolicyCount() {
    return policies.size();
  }

  /** Returns the source of the {@code Endpoints} resources, for the push engine. */
  public ResourceSource endpointsSource() {
    return endpointsSource;
  }

  /** Returns the source of the {@code TrafficPolicy} resources, for the push engine. */
  public ResourceSource trafficPolicySource() {
    return policySource;
  }

  /** Returns both sources: Endpoints and TrafficPolicy. */
  public List<ResourceSource> sources() {
    return List.of(endpointsSource, policySource);
  }

  private static PolicyEntry entry(StoredTrafficPolicy p) {
    Any any = Any.pack(p.policy());
    return new PolicyEntry(p, new Resource(ResourceTypes.TRAFFIC_POLICY, p.service(), p.revision(), any,
        any.getSerializedSize()));
  }

  /** Serves the Endpoints resources: a snapshot per service, built once per version. */
  private final class EndpointsSource implements ResourceSource {
    @Override
    public String typeUrl() {
      return ResourceTypes.ENDPOINTS;
    }

    @Override
    public Resource get(String name) {
      ServiceEntry e = services.get(name);
      if (e == null) {
        return null;
      }
      Resource snap = e.snapshot;
      if (snap != null && snap.version() == e.version) {
        return snap;
      }
      synchronized (lock) {
        e = services.get(name);
        if (e == null) {
          return null;
        }
        snap = e.snapshot;
        if (snap == null || snap.version() != e.version) {
          Any any = Any.pack(Endpoints.newBuilder().setService(name).addAllInstances(e.instances.values()).build());
          snap = new Resource(ResourceTypes.ENDPOINTS, name, e.version, any, any.getSerializedSize());
          e.snapshot = snap;
        }
        return snap;
      }
    }

    @Override
    public Collection<String> names() {
      return services.keySet();
    }
  }

  /** Serves the TrafficPolicy resources: lock-free reads of immutable entries. */
  private final class PolicySource implements ResourceSource {
    @Override
    public String typeUrl() {
      return ResourceTypes.TRAFFIC_POLICY;
    }

    @Override
    public Resource get(String name) {
      PolicyEntry e = policies.get(name);
      return e == null ? null : e.resource();
    }

    @Override
    public Collection<String> names() {
      return policies.keySet();
    }
  }
}
