package dev.vertice.controlplane.registry;

import com.google.protobuf.Any;
import dev.vertice.api.discovery.v1.Endpoints;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.ResourceTypes;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.push.Resource;
import dev.vertice.controlplane.push.ResourceSource;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.NotFoundException;
import dev.vertice.controlplane.store.Registration;
import dev.vertice.controlplane.store.RegistryStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code Registry} owns the set of live instances and their leases, and is the source of the
 * {@code Endpoints} resources.
 *
 * <p>One writer: every change to instances happens under one lock, gets the next revision, and is
 * reported to the {@link ChangeListener} in revision order while the lock is held. Lease renewals
 * do not take that lock: a lease's deadline is an atomic value, and expiry claims it with a
 * compare-and-set, so a renewal and an expiry racing for the same lease have exactly one winner.
 *
 * <p>Reads ({@link #get}, {@link #names}) are lock-free on the fast path: each service keeps an
 * immutable snapshot of its Endpoints, rebuilt at most once per version when first read.
 *
 * <p>It also holds the {@code TrafficPolicy} of each service (written by the canary controller) and
 * serves them through {@link #trafficPolicySource()}: policy changes take revisions from the same
 * sequence, under the same lock, so one history orders both resource types and versions stay
 * {@code <epoch>-<revision>} on every replica.
 *
 * <p>Time comes from the injected {@link Ticker}; lease expiry runs on the injected scheduler every
 * {@link RegistryConfig#expiryResolution()}.
 */
public final class Registry implements RegistryStore, ResourceSource {

  private static final Logger log = Logger.getLogger(Registry.class.getName());

  /** Deadline value of a lease that expired or was released. */
  private static final long DEAD = Long.MIN_VALUE;
  /** Slot value of a lease in no expiry slot. */
  private static final long UNSCHEDULED = Long.MAX_VALUE;

  /** {@code ChangeListener} receives every change, in revision order, under the registry lock. */
  @FunctionalInterface
  public interface ChangeListener {
    void onChange(String typeUrl, String name, long version, long changedAtNanos);
  }

  private static final class Lease {
    final String id;
    final String service;
    final String instanceId;
    volatile long ttlNanos;
    final AtomicLong deadline;
    volatile boolean inGrace;
    /** The KeepAlive stream that renewed the lease last, or null. */
    volatile String renewedBy;
    long slot = UNSCHEDULED; // guarded by slots

    Lease(String id, String service, String instanceId, long ttlNanos, long deadline) {
      this.id = id;
      this.service = service;
      this.instanceId = instanceId;
      this.ttlNanos = ttlNanos;
      this.deadline = new AtomicLong(deadline);
    }
  }

  private static final class Slot {
    Instance instance;
    Lease lease;
    long keepaliveNanos;

    Slot(Instance instance, Lease lease, long keepaliveNanos) {
      this.instance = instance;
      this.lease = lease;
      this.keepaliveNanos = keepaliveNanos;
    }
  }

  private static final class ServiceEntry {
    final String name;
    final TreeMap<String, Slot> instances = new TreeMap<>(); // guarded by the registry lock
    volatile long version;
    volatile Resource snapshot;

    ServiceEntry(String name) {
      this.name = name;
    }
  }

  /** One service's TrafficPolicy at one revision, with its wire form built once. */
  private record PolicyEntry(StoredTrafficPolicy stored, Resource resource) {}

  private final Object lock = new Object();
  private final ConcurrentHashMap<String, PolicyEntry> policies = new ConcurrentHashMap<>();
  private final PolicySource policySource = new PolicySource();
  private final RegistryConfig config;
  private final Ticker ticker;
  private final Supplier<String> ids;
  private final RegistryEvents events;
  private final ConcurrentHashMap<String, ServiceEntry> services = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();
  private final TreeMap<Long, List<Lease>> slots = new TreeMap<>();
  private final ScheduledFuture<?> expiryTask;
  private final long resolutionNanos;
  private long lastProcessedSlot; // guarded by slots
  private volatile long revision; // written under lock; read without it
  private int instanceCount; // guarded by lock
  private volatile ChangeListener listener = (t, n, v, at) -> {};

  /**
   * Creates a registry and starts its lease expiry on {@code scheduler}.
   *
   * @param ids generates lease ids and instance ids (must be unique and hard to guess)
   */
  public Registry(RegistryConfig config, Ticker ticker, ScheduledExecutorService scheduler, Supplier<String> ids,
      RegistryEvents events) {
    this.config = config;
    this.ticker = ticker;
    this.ids = ids;
    this.events = events;
    this.resolutionNanos = config.expiryResolution().toNanos();
    this.lastProcessedSlot = Math.floorDiv(ticker.nanoTime(), resolutionNanos);
    this.expiryTask = scheduler.scheduleAtFixedRate(this::expireDueSafely, resolutionNanos, resolutionNanos,
        TimeUnit.NANOSECONDS);
  }

  /** Sets who receives changes; call before the first write. */
  public void setChangeListener(ChangeListener listener) {
    this.listener = listener;
  }

  /** Returns the lease rules. */
  @Override
  public RegistryConfig config() {
    return config;
  }

  /** The in-memory registry is its own view. */
  @Override
  public Registry view() {
    return this;
  }

  /**
   * Applies a change decided by a shared store, in revision order: a non-null {@code instance}
   * adds or replaces {@code service/instanceId}, null removes it. A replica fed from a change log
   * uses this instead of the write methods; it holds no lease for such instances. A revision not
   * above the last applied one is ignored, so replaying the log is harmless.
   *
   * @param changedAtNanos when the change was observed, for convergence
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
        Slot slot = entry.instances.get(instanceId);
        if (slot == null) {
          entry.instances.put(instanceId, new Slot(instance, null, 0));
          instanceCount++;
        } else {
          slot.instance = instance;
        }
      } else {
        if (entry == null || entry.instances.remove(instanceId) == null) {
          this.revision = revision;
          return;
        }
        instanceCount--;
        if (entry.instances.isEmpty()) {
          services.remove(service);
        }
      }
      this.revision = revision;
      entry.version = revision;
      listener.onChange(ResourceTypes.ENDPOINTS, service, revision, changedAtNanos);
    }
  }

  /**
   * Replaces the whole view with {@code state} (service to instances) at {@code revision}, as a
   * replica does when the change log no longer reaches back to what it holds. Every service that
   * differs is reported changed at {@code versions.get(service)} (or {@code revision}). With {@code
   * force}, every service is replaced and the revision may go back: the store lost history.
   */
  public void replaceAll(java.util.Map<String, List<Instance>> state, java.util.Map<String, Long> versions,
      long revision, long changedAtNanos, boolean force) {
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
          listener.onChange(ResourceTypes.TRAFFIC_POLICY, service, revision, changedAtNanos);
        }
      }
      for (StoredTrafficPolicy p : policyState.values()) {
        PolicyEntry current = policies.get(p.service());
        if (current != null && current.stored().revision() == p.revision() && !force) {
          continue; // unchanged
        }
        policies.put(p.service(), entry(p));
        listener.onChange(ResourceTypes.TRAFFIC_POLICY, p.service(), p.revision(), changedAtNanos);
      }
      for (String service : List.copyOf(services.keySet())) {
        if (!state.containsKey(service)) {
          ServiceEntry gone = services.remove(service);
          instanceCount -= gone.instances.size();
          gone.version = revision;
          listener.onChange(ResourceTypes.ENDPOINTS, service, revision, changedAtNanos);
        }
      }
      for (java.util.Map.Entry<String, List<Instance>> e : state.entrySet()) {
        long version = versions.getOrDefault(e.getKey(), revision);
        ServiceEntry entry = services.get(e.getKey());
        if (entry != null && entry.version == version && !force) {
          continue; // unchanged
        }
        if (entry == null) {
          entry = new ServiceEntry(e.getKey());
          services.put(e.getKey(), entry);
        }
        instanceCount -= entry.instances.size();
        entry.instances.clear();
        for (Instance i : e.getValue()) {
          entry.instances.put(i.getInstanceId(), new Slot(i, null, 0));
        }
        instanceCount += entry.instances.size();
        entry.version = version;
        listener.onChange(ResourceTypes.ENDPOINTS, e.getKey(), version, changedAtNanos);
      }
      // Forced: the store's history went back, and the view follows it.
      this.revision = force ? revision : Math.max(this.revision, revision);
    }
  }

  /**
   * Adds an instance or updates it in place ({@code instance.service} and {@code
   * instance.instance_id} identify it; an empty id gets a generated one). The instance must be
   * validated and normalised. A repeat of the same request renews the lease and changes nothing
   * else.
   *
   * @param ttl the lease TTL, within the config's bounds
   * @param keepaliveInterval the ping interval to hand back
   * @throws CapacityExceededException when the registry is full
   */
  @Override
  public Registration register(Instance instance, Duration ttl, Duration keepaliveInterval)
      throws CapacityExceededException {
    long ttlNanos = ttl.toNanos();
    Registration result;
    boolean created;
    synchronized (lock) {
      Instance stored = instance.getInstanceId().isEmpty()
          ? instance.toBuilder().setInstanceId(instance.getService() + "-" + ids.get().substring(0, 12)).build()
          : instance;
      String service = stored.getService();
      ServiceEntry entry = services.get(service);
      Slot slot = entry == null ? null : entry.instances.get(stored.getInstanceId());
      long now = ticker.nanoTime();
      created = slot == null;
      if (created) {
        if (instanceCount >= config.maxInstances()) {
          throw new CapacityExceededException("the registry holds its limit of " + config.maxInstances()
              + " instances; register after others leave, or raise the limit");
        }
        if (entry != null && entry.instances.size() >= config.maxInstancesPerService()) {
          throw new CapacityExceededException(perServiceLimit(service, config.maxInstancesPerService()));
        }
        if (entry == null) {
          entry = new ServiceEntry(service);
          services.put(service, entry);
        }
        Lease lease = newLease(service, stored.getInstanceId(), ttlNanos, now);
        entry.instances.put(stored.getInstanceId(), new Slot(stored, lease, keepaliveInterval.toNanos()));
        instanceCount++;
        commit(entry, now);
      } else {
        slot.keepaliveNanos = keepaliveInterval.toNanos();
        Lease lease = slot.lease;
        lease.ttlNanos = ttlNanos;
        if (!renew(lease, now)) {
          // Expiry claimed the lease a moment ago but could not remove the instance yet: replace it.
          slot.lease = newLease(service, stored.getInstanceId(), ttlNanos, now);
        }
        if (!slot.instance.equals(stored)) {
          slot.instance = stored;
          commit(entry, now);
        }
      }
      result = new Registration(stored, slot(entry, stored.getInstanceId()).lease.id, ttl, keepaliveInterval,
          entry.version, created);
    }
    events.onRegistered(result.instance().getService(), result.instance().getInstanceId(), created);
    return result;
  }

  /**
   * Removes an instance and its lease at once.
   *
   * @return the service's Endpoints version after the removal
   */
  @Override
  public long deregister(String service, String instanceId) throws NotFoundException {
    long version;
    synchronized (lock) {
      ServiceEntry entry = services.get(service);
      Slot slot = entry == null ? null : entry.instances.get(instanceId);
      if (slot == null) {
        throw notFound(service, instanceId);
      }
      slot.lease.deadline.set(DEAD);
      version = remove(entry, instanceId, slot);
    }
    events.onRemoved(service, instanceId, RemovalReason.DEREGISTERED);
    return version;
  }

  /**
   * Sets an instance's health.
   *
   * @return the service's Endpoints version after the call (unchanged when the health was already
   *     {@code health})
   */
  @Override
  public long setHealth(String service, String instanceId, HealthStatus health) throws NotFoundException {
    synchronized (lock) {
      ServiceEntry entry = services.get(service);
      Slot slot = entry == null ? null : entry.instances.get(instanceId);
      if (slot == null) {
        throw notFound(service, instanceId);
      }
      if (slot.instance.getHealth() != health) {
        slot.instance = slot.instance.toBuilder().setHealth(health).build();
        commit(entry, ticker.nanoTime());
      }
      return entry.version;
    }
  }

  /**
   * Renews a lease for its full TTL.
   *
   * @param streamId the KeepAlive stream the ping came on
   * @return the remaining TTL in nanoseconds, or empty when the lease is unknown or expired
   */
  @Override
  public OptionalLong keepAlive(String leaseId, String streamId) {
    Lease lease = leases.get(leaseId);
    if (lease == null || !renew(lease, ticker.nanoTime())) {
      return OptionalLong.empty();
    }
    lease.renewedBy = streamId;
    events.onKeepAlive();
    return OptionalLong.of(lease.ttlNanos);
  }

  @Override
  public java.util.Optional<String> leaseService(String leaseId) {
    Lease lease = leases.get(leaseId);
    return lease == null || lease.deadline.get() == DEAD ? java.util.Optional.empty()
        : java.util.Optional.of(lease.service);
  }

  /** Returns whether {@code leaseId} names a live lease. */
  @Override
  public boolean hasLease(String leaseId) {
    Lease lease = leases.get(leaseId);
    return lease != null && lease.deadline.get() != DEAD;
  }

  /**
   * Starts the grace period of leases whose KeepAlive stream ended without Deregister: each expires
   * after the grace unless renewed (on any stream) first, or at its own deadline if that is sooner.
   */
  @Override
  public void keepAliveStreamEnded(String streamId, Collection<String> leaseIds) {
    long graceDeadline = ticker.nanoTime() + config.grace().toNanos();
    for (String id : leaseIds) {
      Lease lease = leases.get(id);
      if (lease == null || !java.util.Objects.equals(lease.renewedBy, streamId)) {
        continue; // gone, or kept alive by a newer stream since
      }
      while (true) {
        long d = lease.deadline.get();
        if (d == DEAD || d <= graceDeadline) {
          break;
        }
        if (lease.deadline.compareAndSet(d, graceDeadline)) {
          lease.inGrace = true;
          schedule(lease, graceDeadline);
          break;
        }
      }
    }
  }

  /**
   * Applies a TrafficPolicy change decided by a shared store, in revision order: a non-null {@code
   * policy} adds or replaces the policy of {@code service}, null removes it. A revision not above
   * the last applied one is ignored.
   */
  public void applyTrafficPolicy(String service, TrafficPolicy policy, long revision, long changedAtNanos) {
    synchronized (lock) {
      if (revision <= this.revision) {
        return;
      }
      this.revision = revision;
      if (policy == null) {
        if (policies.remove(service) == null) {
          return;
        }
      } else {
        policies.put(service, entry(new StoredTrafficPolicy(service, policy, revision)));
      }
      listener.onChange(ResourceTypes.TRAFFIC_POLICY, service, revision, changedAtNanos);
    }
  }

  /**
   * Sets the TrafficPolicy of {@code policy.service}. The policy must be validated; a policy equal
   * to the one held changes nothing and returns the held revision.
   *
   * @throws CapacityExceededException when {@link TrafficPolicies#MAX_POLICIES} services already
   *     have a policy and this one has none
   */
  @Override
  public long putTrafficPolicy(TrafficPolicy policy) throws CapacityExceededException {
    String service = policy.getService();
    synchronized (lock) {
      PolicyEntry current = policies.get(service);
      if (current != null && current.stored().policy().equals(policy)) {
        return current.stored().revision();
      }
      if (current == null && policies.size() >= TrafficPolicies.MAX_POLICIES) {
        throw TrafficPolicies.full();
      }
      long v = ++revision;
      policies.put(service, entry(new StoredTrafficPolicy(service, policy, v)));
      listener.onChange(ResourceTypes.TRAFFIC_POLICY, service, v, ticker.nanoTime());
      return v;
    }
  }

  /** Removes the TrafficPolicy of {@code service}; returns the revision of the removal, or empty when it had none. */
  @Override
  public OptionalLong removeTrafficPolicy(String service) {
    synchronized (lock) {
      if (policies.remove(service) == null) {
        return OptionalLong.empty();
      }
      long v = ++revision;
      listener.onChange(ResourceTypes.TRAFFIC_POLICY, service, v, ticker.nanoTime());
      return OptionalLong.of(v);
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

  /** Returns the source of the {@code TrafficPolicy} resources, for the push engine. */
  public ResourceSource trafficPolicySource() {
    return policySource;
  }

  private static PolicyEntry entry(StoredTrafficPolicy p) {
    Any any = Any.pack(p.policy());
    return new PolicyEntry(p, new Resource(ResourceTypes.TRAFFIC_POLICY, p.service(), p.revision(), any,
        any.getSerializedSize()));
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

  /** Returns an immutable copy of one service, or null when it has no instance. */
  public ServiceView service(String service) {
    synchronized (lock) {
      ServiceEntry entry = services.get(service);
      if (entry == null) {
        return null;
      }
      List<Instance> list = new ArrayList<>(entry.instances.size());
      for (Slot s : entry.instances.values()) {
        list.add(s.instance);
      }
      return new ServiceView(service, entry.version, list);
    }
  }

  /** Returns a summary of every service, sorted by name. */
  public List<ServiceSummary> services() {
    synchronized (lock) {
      List<ServiceSummary> out = new ArrayList<>(services.size());
      for (ServiceEntry e : new TreeMap<>(services).values()) {
        int serving = 0;
        for (Slot s : e.instances.values()) {
          if (s.instance.getHealth() == HealthStatus.HEALTH_STATUS_SERVING) {
            serving++;
          }
        }
        out.add(new ServiceSummary(e.name, e.instances.size(), serving, e.version));
      }
      return out;
    }
  }

  /** Returns the revision of the last change. */
  public long revision() {
    return revision;
  }

  /** Returns how many lease entries wait in expiry slots (one per live lease at most). */
  int scheduledExpiries() {
    synchronized (slots) {
      return slots.values().stream().mapToInt(List::size).sum();
    }
  }

  /** Returns the number of registered instances. */
  public int instanceCount() {
    synchronized (lock) {
      return instanceCount;
    }
  }

  // --- ResourceSource ---

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
        Endpoints.Builder b = Endpoints.newBuilder().setService(name);
        for (Slot s : e.instances.values()) {
          b.addInstances(s.instance);
        }
        Any any = Any.pack(b.build());
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

  /** Stops lease expiry. */
  @Override
  public void close() {
    expiryTask.cancel(false);
  }

  // --- internals ---

  /** Runs every due expiry (the periodic task; package-private for tests). */
  void expireDue() {
    long now = ticker.nanoTime();
    List<Lease> due = new ArrayList<>();
    synchronized (slots) {
      long nowSlot = Math.floorDiv(now, resolutionNanos);
      Map<Long, List<Lease>> head = slots.headMap(nowSlot, true);
      for (List<Lease> l : head.values()) {
        due.addAll(l);
      }
      head.clear();
      lastProcessedSlot = Math.max(lastProcessedSlot, nowSlot);
      for (Lease lease : due) {
        lease.slot = UNSCHEDULED;
      }
    }
    for (Lease lease : due) {
      long d = lease.deadline.get();
      if (d == DEAD) {
        continue; // released
      }
      if (d > now) {
        schedule(lease, d); // renewed since it was slotted
        continue;
      }
      if (lease.deadline.compareAndSet(d, DEAD)) {
        expire(lease, lease.inGrace ? RemovalReason.GRACE_EXPIRED : RemovalReason.EXPIRED);
      } else {
        long renewed = lease.deadline.get();
        if (renewed != DEAD) {
          schedule(lease, renewed); // renewed in the meantime
        }
      }
    }
  }

  private void expireDueSafely() {
    try {
      expireDue();
    } catch (RuntimeException e) {
      // A failure here must not cancel the periodic task.
      log.log(Level.SEVERE, "lease expiry failed", e);
    }
  }

  private void expire(Lease lease, RemovalReason reason) {
    boolean removed = false;
    synchronized (lock) {
      leases.remove(lease.id, lease);
      ServiceEntry entry = services.get(lease.service);
      Slot slot = entry == null ? null : entry.instances.get(lease.instanceId);
      if (slot != null && slot.lease == lease) {
        remove(entry, lease.instanceId, slot);
        removed = true;
      }
    }
    if (removed) {
      log.info(() -> "lease " + reason.name().toLowerCase() + ": removed " + lease.service + "/" + lease.instanceId);
      events.onRemoved(lease.service, lease.instanceId, reason);
    }
  }

  /** Caller holds lock. */
  private long remove(ServiceEntry entry, String instanceId, Slot slot) {
    entry.instances.remove(instanceId);
    leases.remove(slot.lease.id, slot.lease);
    instanceCount--;
    if (entry.instances.isEmpty()) {
      services.remove(entry.name);
    }
    commit(entry, ticker.nanoTime());
    return entry.version;
  }

  /** Caller holds lock: gives the change the next revision and reports it. */
  private void commit(ServiceEntry entry, long now) {
    long v = ++revision;
    entry.version = v;
    listener.onChange(ResourceTypes.ENDPOINTS, entry.name, v, now);
  }

  /** Caller holds lock. */
  private Lease newLease(String service, String instanceId, long ttlNanos, long now) {
    Lease lease = new Lease(ids.get(), service, instanceId, ttlNanos, now + ttlNanos);
    leases.put(lease.id, lease);
    schedule(lease, now + ttlNanos);
    return lease;
  }

  private boolean renew(Lease lease, long now) {
    long next = now + lease.ttlNanos;
    while (true) {
      long d = lease.deadline.get();
      if (d == DEAD) {
        return false;
      }
      if (lease.deadline.compareAndSet(d, next)) {
        lease.inGrace = false;
        schedule(lease, next);
        return true;
      }
    }
  }

  /**
   * Makes sure the lease sits in an expiry slot no later than {@code deadline}. Renewals only move
   * deadlines later, so a lease stays in its slot until the slot comes due; {@link #expireDue} then
   * moves it to the slot of its current deadline. A lease is in one slot at a time.
   */
  private void schedule(Lease lease, long deadline) {
    long slot = Math.floorDiv(deadline + resolutionNanos - 1, resolutionNanos);
    synchronized (slots) {
      if (slot <= lastProcessedSlot) {
        slot = lastProcessedSlot + 1;
      }
      if (lease.slot <= slot) {
        return; // already due no later than that
      }
      if (lease.slot != UNSCHEDULED) {
        List<Lease> old = slots.get(lease.slot);
        if (old != null) {
          old.remove(lease);
        }
      }
      lease.slot = slot;
      slots.computeIfAbsent(slot, s -> new ArrayList<>(4)).add(lease);
    }
  }

  private static Slot slot(ServiceEntry entry, String instanceId) {
    return entry.instances.get(instanceId);
  }

  private static NotFoundException notFound(String service, String instanceId) {
    return new NotFoundException("no instance '" + instanceId + "' of service '" + service + "'");
  }

  /** The message of a Register refused by the per-service limit (shared with the Redis store). */
  public static String perServiceLimit(String service, int limit) {
    return "service " + service + " holds its limit of " + limit + " instances (--max-instances-per-service);"
        + " register after others leave, or raise the limit";
  }
}
