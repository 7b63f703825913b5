package dev.vertice.client.internal;

import dev.vertice.client.ServiceListener;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.client.TrafficPolicySnapshot;
import dev.vertice.common.ServiceNames;
import dev.vertice.common.Threads;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code ServiceCache} is the watch client's local state: the subscription (services named, and
 * whether all are), the snapshots and traffic policies received for it, the services the control
 * plane said do not exist, the callers waiting for a first answer, and the listeners it notifies.
 *
 * <p>It knows nothing of gRPC or of the Watch protocol: {@link WatchStreamClient} feeds it decoded
 * resources through its {@link #endpointStore()} and {@link #policyStore()}, and reads the
 * subscription and the versions held from it to open or resume a stream.
 *
 * <p>Reads ({@link #get}, {@link #policy}, {@link #snapshots}, {@link #policies}) are lock-free.
 * Methods ending in {@code Locked}, and the stores, must be called holding the watch client's
 * lock (the one its stream client holds while it applies a response), so that notifications are
 * queued in the order the changes were applied. Listeners run one at a time on the listener
 * executor, never on the caller's thread; one that throws is logged and the others still run.
 */
public final class ServiceCache implements AutoCloseable {

  private static final Logger log = Logger.getLogger(ServiceCache.class.getName());

  private final ConcurrentHashMap<String, ServiceSnapshot> endpoints = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TrafficPolicySnapshot> policies = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<ServiceListener> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService ownedListenerExecutor;
  private final Executor listenerExecutor;
  private final ResourceStore<ServiceSnapshot> endpointStore = new EndpointStore();
  private final ResourceStore<TrafficPolicySnapshot> policyStore = new PolicyStore();

  // guarded by the watch client's lock
  private final Set<String> explicit = new LinkedHashSet<>();
  private final Set<String> absent = new HashSet<>();
  private final Map<String, List<CompletableFuture<Optional<ServiceSnapshot>>>> waiters = new HashMap<>();
  private boolean wildcard;

  /**
   * {@code ServiceCache} notifies listeners on {@code listenerExecutor}, one call at a time; when
   * it is null, on a daemon thread the cache owns and {@link #close() shuts down}.
   */
  public ServiceCache(Executor listenerExecutor) {
    if (listenerExecutor == null) {
      this.ownedListenerExecutor = Executors.newSingleThreadExecutor(Threads.daemon("vertice-watch-listeners"));
      this.listenerExecutor = new SerialExecutor(ownedListenerExecutor);
    } else {
      this.ownedListenerExecutor = null;
      this.listenerExecutor = new SerialExecutor(listenerExecutor);
    }
  }

  // --- reads, lock-free ---

  /** {@code get} returns the snapshot held for {@code service} (any accepted spelling). */
  public Optional<ServiceSnapshot> get(String service) {
    return Optional.ofNullable(lookup(endpoints, service));
  }

  /** {@code policy} returns the traffic policy held for {@code service} (any accepted spelling). */
  public Optional<TrafficPolicySnapshot> policy(String service) {
    return Optional.ofNullable(lookup(policies, service));
  }

  /** {@code snapshots} returns an immutable copy of the snapshots held, by service name. */
  public Map<String, ServiceSnapshot> snapshots() {
    return Map.copyOf(endpoints);
  }

  /** {@code policies} returns an immutable copy of the traffic policies held, by service name. */
  public Map<String, TrafficPolicySnapshot> policies() {
    return Map.copyOf(policies);
  }

  private static <T> T lookup(Map<String, T> map, String service) {
    T value = service == null ? null : map.get(service);
    if (value == null && service != null && !ServiceNames.isCanonical(service)) {
      value = ServiceNames.normalize(service).map(map::get).orElse(null);
    }
    return value;
  }

  // --- the subscription, under the lock ---

  /** {@code subscribeLocked} adds the canonical {@code name}; returns whether it was new. */
  public boolean subscribeLocked(String name) {
    return explicit.add(name);
  }

  /** {@code subscribeAllLocked} subscribes to every service; returns whether that is new. */
  public boolean subscribeAllLocked() {
    if (wildcard) {
      return false;
    }
    wildcard = true;
    return true;
  }

  /**
   * {@code unsubscribeLocked} removes the canonical {@code name}; unless the subscription to all
   * still covers it, its snapshot and policy leave and listeners are told. Returns whether the
   * name was subscribed.
   */
  public boolean unsubscribeLocked(String name) {
    if (!explicit.remove(name)) {
      return false;
    }
    absent.remove(name);
    List<Change> changes = new ArrayList<>();
    if (!wildcard && endpoints.remove(name) != null) {
      changes.add(Change.removed(name));
    }
    if (!wildcard && policies.remove(name) != null) {
      changes.add(Change.policyRemoved(name));
    }
    dispatchLocked(changes);
    return true;
  }

  /**
   * {@code unsubscribeAllLocked} ends the subscription to all; services not subscribed by name
   * leave and listeners are told. Returns whether there was such a subscription.
   */
  public boolean unsubscribeAllLocked() {
    if (!wildcard) {
      return false;
    }
    wildcard = false;
    List<Change> changes = new ArrayList<>();
    for (String name : List.copyOf(endpoints.keySet())) {
      if (!explicit.contains(name) && endpoints.remove(name) != null) {
        changes.add(Change.removed(name));
      }
    }
    for (String name : List.copyOf(policies.keySet())) {
      if (!explicit.contains(name) && policies.remove(name) != null) {
        changes.add(Change.policyRemoved(name));
      }
    }
    dispatchLocked(changes);
    return true;
  }

  /** {@code subscribesAllLocked} returns whether every service is subscribed. */
  public boolean subscribesAllLocked() {
    return wildcard;
  }

  /** {@code namesLocked} returns the services subscribed by name, in the order subscribed. */
  public List<String> namesLocked() {
    return List.copyOf(explicit);
  }

  // --- callers awaiting a first answer, under the lock ---

  /**
   * {@code isAbsentLocked} returns whether the control plane answered that {@code name}, subscribed
   * by name, has no instances.
   */
  public boolean isAbsentLocked(String name) {
    return absent.contains(name);
  }

  /** {@code awaitLocked} completes {@code answer} with the next answer about {@code name}. */
  public void awaitLocked(String name, CompletableFuture<Optional<ServiceSnapshot>> answer) {
    waiters.computeIfAbsent(name, n -> new ArrayList<>()).add(answer);
  }

  /** {@code forgetWaiterLocked} drops a waiter that gave up (timed out or interrupted). */
  public void forgetWaiterLocked(String name, CompletableFuture<Optional<ServiceSnapshot>> answer) {
    List<CompletableFuture<Optional<ServiceSnapshot>>> list = waiters.get(name);
    if (list != null && list.remove(answer) && list.isEmpty()) {
      waiters.remove(name);
    }
  }

  /** {@code takeWaitersLocked} removes and returns every pending waiter, for the caller to fail. */
  public List<CompletableFuture<Optional<ServiceSnapshot>>> takeWaitersLocked() {
    List<CompletableFuture<Optional<ServiceSnapshot>>> pending = new ArrayList<>();
    waiters.values().forEach(pending::addAll);
    waiters.clear();
    return pending;
  }

  private void complete(String name, Optional<ServiceSnapshot> answer) {
    List<CompletableFuture<Optional<ServiceSnapshot>>> list = waiters.remove(name);
    if (list != null) {
      // Completed under the lock: only blocked getters wait on these futures, no callbacks run here.
      list.forEach(f -> f.complete(answer));
    }
  }

  // --- listeners ---

  /**
   * {@code addListenerLocked} registers {@code listener} and first replays the state to it: every
   * snapshot held, every service known absent, every policy held.
   */
  public void addListenerLocked(ServiceListener listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    List<Change> replay = new ArrayList<>();
    for (ServiceSnapshot s : endpoints.values()) {
      replay.add(Change.updated(s));
    }
    for (String name : absent) {
      replay.add(Change.removed(name));
    }
    for (TrafficPolicySnapshot p : policies.values()) {
      replay.add(Change.policyUpdated(p));
    }
    if (!replay.isEmpty()) {
      List<ServiceListener> only = List.of(listener);
      listenerExecutor.execute(() -> deliver(only, replay));
    }
  }

  /** {@code removeListener} unregisters {@code listener}; notifications already queued may still arrive. */
  public void removeListener(ServiceListener listener) {
    listeners.remove(listener);
  }

  /** Caller holds the lock, so that notifications are queued in the order the changes were applied. */
  private void dispatchLocked(List<Change> changes) {
    if (changes.isEmpty() || listeners.isEmpty()) {
      return;
    }
    List<ServiceListener> targets = List.copyOf(listeners);
    listenerExecutor.execute(() -> deliver(targets, changes));
  }

  private static void deliver(List<ServiceListener> targets, List<Change> changes) {
    for (Change c : changes) {
      for (ServiceListener l : targets) {
        try {
          if (c.snapshot() != null) {
            l.onUpdate(c.snapshot());
          } else if (c.removed() != null) {
            l.onRemoved(c.removed());
          } else if (c.policy() != null) {
            l.onPolicyUpdate(c.policy());
          } else {
            l.onPolicyRemoved(c.policyRemoved());
          }
        } catch (RuntimeException e) {
          log.log(Level.WARNING, "service listener " + l + " threw; continuing", e);
        }
      }
    }
  }

  // --- the stores the stream feeds ---

  /** {@code endpointStore} returns the store of Endpoints resources, as {@link ServiceSnapshot}s. */
  public ResourceStore<ServiceSnapshot> endpointStore() {
    return endpointStore;
  }

  /** {@code policyStore} returns the store of TrafficPolicy resources. */
  public ResourceStore<TrafficPolicySnapshot> policyStore() {
    return policyStore;
  }

  /** {@code close} shuts the owned listener thread down; a borrowed executor stays up. */
  @Override
  public void close() {
    if (ownedListenerExecutor != null) {
      ownedListenerExecutor.shutdown();
    }
  }

  private boolean subscribed(String name) {
    return wildcard || explicit.contains(name);
  }

  /**
   * Endpoints: services no longer subscribed are skipped (the response may have been in flight when
   * they were unsubscribed); a removal of a service subscribed by name is remembered as absent, so
   * that {@code awaitService} and new listeners are told; waiters get their answer.
   */
  private final class EndpointStore implements ResourceStore<ServiceSnapshot> {
    @Override
    public Map<String, String> heldVersionsLocked() {
      Map<String, String> versions = new HashMap<>();
      for (ServiceSnapshot held : endpoints.values()) {
        versions.put(held.service(), held.version());
      }
      return versions;
    }

    @Override
    public void applyLocked(List<ServiceSnapshot> changed, List<String> removed) {
      List<Change> changes = new ArrayList<>();
      for (ServiceSnapshot snapshot : changed) {
        String name = snapshot.service();
        if (!subscribed(name)) {
          continue;
        }
        absent.remove(name);
        ServiceSnapshot old = endpoints.put(name, snapshot);
        if (old == null || !old.equals(snapshot)) {
          changes.add(Change.updated(snapshot));
        }
        complete(name, Optional.of(snapshot));
      }
      for (String name : removed) {
        boolean named = explicit.contains(name);
        if (!wildcard && !named) {
          continue;
        }
        ServiceSnapshot old = endpoints.remove(name);
        // Remembered as absent only when subscribed by name: awaitService and a new listener are told about those.
        boolean newlyAbsent = named && absent.add(name);
        if (old != null || newlyAbsent) {
          changes.add(Change.removed(name));
        }
        complete(name, Optional.empty());
      }
      dispatchLocked(changes);
    }
  }

  /** Traffic policies: no absence and no waiters; policies of services no longer subscribed are skipped. */
  private final class PolicyStore implements ResourceStore<TrafficPolicySnapshot> {
    @Override
    public Map<String, String> heldVersionsLocked() {
      Map<String, String> versions = new HashMap<>();
      for (TrafficPolicySnapshot held : policies.values()) {
        versions.put(held.service(), held.version());
      }
      return versions;
    }

    @Override
    public void applyLocked(List<TrafficPolicySnapshot> changed, List<String> removed) {
      List<Change> changes = new ArrayList<>();
      for (TrafficPolicySnapshot p : changed) {
        if (!subscribed(p.service())) {
          continue;
        }
        TrafficPolicySnapshot old = policies.put(p.service(), p);
        if (old == null || !old.equals(p)) {
          changes.add(Change.policyUpdated(p));
        }
      }
      for (String name : removed) {
        if (policies.remove(name) != null) {
          changes.add(Change.policyRemoved(name));
        }
      }
      dispatchLocked(changes);
    }
  }

  /** One change applied to the cache: exactly one of the four fields is set. */
  private record Change(ServiceSnapshot snapshot, String removed, TrafficPolicySnapshot policy,
      String policyRemoved) {
    static Change updated(ServiceSnapshot s) {
      return new Change(s, null, null, null);
    }

    static Change removed(String name) {
      return new Change(null, name, null, null);
    }

    static Change policyUpdated(TrafficPolicySnapshot p) {
      return new Change(null, null, p, null);
    }

    static Change policyRemoved(String name) {
      return new Change(null, null, null, name);
    }
  }
}
