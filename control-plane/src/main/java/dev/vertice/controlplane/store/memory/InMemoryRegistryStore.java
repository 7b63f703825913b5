package dev.vertice.controlplane.store.memory;

import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.RemovalReason;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import dev.vertice.controlplane.registry.TrafficPolicies;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.NotFoundException;
import dev.vertice.controlplane.store.Registration;
import dev.vertice.controlplane.store.RegistrationRequest;
import dev.vertice.controlplane.store.RegistryStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code InMemoryRegistryStore} keeps the registry's facts in this process: it decides every
 * write (capacity, leases, revisions) and applies it to the {@link RegistryView}, which holds the
 * instances and policies themselves; the store keeps only the leases.
 *
 * <p>One writer: every change happens under the store's lock, takes the next revision and is
 * applied to the view before the lock is released, so the view (and every watcher) sees changes in
 * revision order. Lease renewals do not take that lock: a lease's deadline is an atomic value, and
 * expiry claims it with a compare-and-set, so a renewal and an expiry racing for the same lease
 * have exactly one winner.
 *
 * <p>Time comes from the injected {@link Ticker}; lease expiry runs on the injected scheduler every
 * {@link RegistryConfig#expiryResolution()}.
 */
public final class InMemoryRegistryStore implements RegistryStore {

  private static final Logger log = Logger.getLogger(InMemoryRegistryStore.class.getName());

  /** Deadline value of a lease that expired or was released. */
  private static final long DEAD = Long.MIN_VALUE;
  /** Slot value of a lease in no expiry slot. */
  private static final long UNSCHEDULED = Long.MAX_VALUE;

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

  private final Object lock = new Object();
  private final RegistryConfig config;
  private final RegistryView view;
  private final Ticker ticker;
  private final Supplier<String> ids;
  private final RegistryEvents events;
  /** Live leases by id. */
  private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();
  /** The lease of each instance in the view, by service then instance id; guarded by lock. */
  private final Map<String, Map<String, Lease>> byInstance = new HashMap<>();
  private final TreeMap<Long, List<Lease>> slots = new TreeMap<>();
  private final ScheduledFuture<?> expiryTask;
  private final long resolutionNanos;
  private long lastProcessedSlot; // guarded by slots
  private long revision; // guarded by lock

  /**
   * Creates a store that writes to {@code view} (empty, written by no one else) and starts its lease
   * expiry on {@code scheduler}.
   *
   * @param ids generates lease ids and instance ids (must be unique and hard to guess)
   */
  public InMemoryRegistryStore(RegistryConfig config, RegistryView view, Ticker ticker,
      ScheduledExecutorService scheduler, Supplier<String> ids, RegistryEvents events) {
    this.config = config;
    this.view = view;
    this.ticker = ticker;
    this.ids = ids;
    this.events = events;
    this.revision = view.revision();
    this.resolutionNanos = config.expiryResolution().toNanos();
    this.lastProcessedSlot = Math.floorDiv(ticker.nanoTime(), resolutionNanos);
    this.expiryTask = scheduler.scheduleAtFixedRate(this::expireDueSafely, resolutionNanos, resolutionNanos,
        TimeUnit.NANOSECONDS);
  }

  @Override
  public RegistryConfig config() {
    return config;
  }

  /**
   * Adds an instance or updates it in place ({@code instance.service} and {@code
   * instance.instance_id} identify it; an empty id gets a generated one). The instance must be
   * validated and normalised. A repeat of the same request renews the lease and changes nothing
   * else.
   *
   * @param ttl the lease TTL, within the config's bounds
   * @param keepaliveInterval the ping interval to hand back
   * @throws CapacityExceededException when the registry, or the service, is full
   */
  @Override
  public Registration register(Instance instance, Duration ttl, Duration keepaliveInterval)
      throws CapacityExceededException {
    Registration result;
    synchronized (lock) {
      Instance stored = withId(instance);
      Map<String, Lease> ofService = byInstance.get(stored.getService());
      if (ofService == null || !ofService.containsKey(stored.getInstanceId())) {
        if (view.instanceCount() >= config.maxInstances()) {
          throw CapacityExceededException.instances(config.maxInstances());
        }
        if (ofService != null && ofService.size() >= config.maxInstancesPerService()) {
          throw CapacityExceededException.instancesOf(stored.getService(), config.maxInstancesPerService());
        }
      }
      Upsert u = upsertLocked(stored, ttl.toNanos(), ticker.nanoTime());
      result = new Registration(stored, u.lease.id, ttl, keepaliveInterval, view.version(stored.getService()),
          u.created);
    }
    events.onRegistered(result.instance().getService(), result.instance().getInstanceId(), result.created());
    return result;
  }

  /**
   * Registers every entry under one hold of the lock, after checking the capacity for all of them:
   * a batch that does not fit changes nothing. Completes at once.
   */
  @Override
  public CompletableFuture<List<Registration>> registerBatch(List<RegistrationRequest> entries) {
    List<Registration> results = new ArrayList<>(entries.size());
    synchronized (lock) {
      List<Instance> stored = new ArrayList<>(entries.size());
      Map<String, Integer> added = new HashMap<>();
      int addedTotal = 0;
      for (RegistrationRequest e : entries) {
        Instance in = withId(e.instance());
        stored.add(in);
        if (leaseOf(in.getService(), in.getInstanceId()) == null) {
          added.merge(in.getService(), 1, Integer::sum);
          addedTotal++;
        }
      }
      if ((long) view.instanceCount() + addedTotal > config.maxInstances()) {
        return CompletableFuture.failedFuture(CapacityExceededException.instances(config.maxInstances()));
      }
      for (Map.Entry<String, Integer> a : added.entrySet()) {
        Map<String, Lease> ofService = byInstance.get(a.getKey());
        if ((ofService == null ? 0 : ofService.size()) + a.getValue() > config.maxInstancesPerService()) {
          return CompletableFuture.failedFuture(
              CapacityExceededException.instancesOf(a.getKey(), config.maxInstancesPerService()));
        }
      }
      long now = ticker.nanoTime();
      List<Upsert> done = new ArrayList<>(entries.size());
      for (int i = 0; i < entries.size(); i++) {
        done.add(upsertLocked(stored.get(i), entries.get(i).ttl().toNanos(), now));
      }
      for (int i = 0; i < entries.size(); i++) {
        RegistrationRequest e = entries.get(i);
        Instance in = stored.get(i);
        results.add(new Registration(in, done.get(i).lease.id, e.ttl(), e.keepaliveInterval(),
            view.version(in.getService()), done.get(i).created));
      }
    }
    for (Registration r : results) {
      events.onRegistered(r.instance().getService(), r.instance().getInstanceId(), r.created());
    }
    return CompletableFuture.completedFuture(results);
  }

  /** The outcome of one upsert: the lease that keeps the instance, and whether it is new. */
  private record Upsert(Lease lease, boolean created) {}

  /** Returns {@code instance} with a generated id when it has none. */
  private Instance withId(Instance instance) {
    return instance.getInstanceId().isEmpty()
        ? instance.toBuilder().setInstanceId(instance.getService() + "-" + ids.get().substring(0, 12)).build()
        : instance;
  }

  /** Caller holds lock and checked the capacity: adds or updates {@code stored} and renews its lease. */
  private Upsert upsertLocked(Instance stored, long ttlNanos, long now) {
    String service = stored.getService();
    String instanceId = stored.getInstanceId();
    Map<String, Lease> ofService = byInstance.get(service);
    Lease lease = ofService == null ? null : ofService.get(instanceId);
    if (lease == null) {
      lease = newLease(service, instanceId, ttlNanos, now);
      byInstance.computeIfAbsent(service, s -> new HashMap<>()).put(instanceId, lease);
      view.apply(service, instanceId, stored, ++revision, now);
      return new Upsert(lease, true);
    }
    lease.ttlNanos = ttlNanos;
    if (!renew(lease, now)) {
      // Expiry claimed the lease a moment ago but could not remove the instance yet: replace it.
      lease = newLease(service, instanceId, ttlNanos, now);
      ofService.put(instanceId, lease);
    }
    if (!stored.equals(view.instance(service, instanceId))) {
      view.apply(service, instanceId, stored, ++revision, now);
    }
    return new Upsert(lease, false);
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
      Lease lease = leaseOf(service, instanceId);
      if (lease == null) {
        throw notFound(service, instanceId);
      }
      lease.deadline.set(DEAD);
      version = remove(lease);
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
      Instance current = leaseOf(service, instanceId) == null ? null : view.instance(service, instanceId);
      if (current == null) {
        throw notFound(service, instanceId);
      }
      if (current.getHealth() != health) {
        view.apply(service, instanceId, current.toBuilder().setHealth(health).build(), ++revision, ticker.nanoTime());
      }
      return view.version(service);
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
  public Optional<String> leaseService(String leaseId) {
    Lease lease = leases.get(leaseId);
    return lease == null || lease.deadline.get() == DEAD ? Optional.empty() : Optional.of(lease.service);
  }

  @Override
  public OptionalLong leaseRemaining(String service, String instanceId) {
    Lease lease;
    synchronized (lock) {
      lease = leaseOf(service, instanceId);
    }
    long deadline = lease == null ? DEAD : lease.deadline.get();
    return deadline == DEAD ? OptionalLong.empty() : OptionalLong.of(Math.max(0, deadline - ticker.nanoTime()));
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
      if (lease == null || !Objects.equals(lease.renewedBy, streamId)) {
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
      StoredTrafficPolicy current = view.trafficPolicy(service);
      if (current != null && current.policy().equals(policy)) {
        return current.revision();
      }
      if (current == null && view.trafficPolicyCount() >= TrafficPolicies.MAX_POLICIES) {
        throw CapacityExceededException.trafficPolicies(TrafficPolicies.MAX_POLICIES);
      }
      long v = ++revision;
      view.applyTrafficPolicy(service, policy, v, ticker.nanoTime());
      return v;
    }
  }

  /** Removes the TrafficPolicy of {@code service}; returns the revision of the removal, or empty when it had none. */
  @Override
  public OptionalLong removeTrafficPolicy(String service) {
    synchronized (lock) {
      if (view.trafficPolicy(service) == null) {
        return OptionalLong.empty();
      }
      long v = ++revision;
      view.applyTrafficPolicy(service, null, v, ticker.nanoTime());
      return OptionalLong.of(v);
    }
  }

  /** Stops lease expiry. */
  @Override
  public void close() {
    expiryTask.cancel(false);
  }

  /** Returns how many lease entries wait in expiry slots (one per live lease at most). */
  int scheduledExpiries() {
    synchronized (slots) {
      return slots.values().stream().mapToInt(List::size).sum();
    }
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
      if (leaseOf(lease.service, lease.instanceId) == lease) {
        remove(lease);
        removed = true;
      }
    }
    if (removed) {
      log.info(() -> "lease " + reason.name().toLowerCase() + ": removed " + lease.service + "/" + lease.instanceId);
      events.onRemoved(lease.service, lease.instanceId, reason);
    }
  }

  /** Caller holds lock. */
  private Lease leaseOf(String service, String instanceId) {
    Map<String, Lease> ofService = byInstance.get(service);
    return ofService == null ? null : ofService.get(instanceId);
  }

  /** Caller holds lock: removes the instance {@code lease} keeps; returns the revision of the removal. */
  private long remove(Lease lease) {
    Map<String, Lease> ofService = byInstance.get(lease.service);
    ofService.remove(lease.instanceId);
    if (ofService.isEmpty()) {
      byInstance.remove(lease.service);
    }
    leases.remove(lease.id, lease);
    long v = ++revision;
    view.apply(lease.service, lease.instanceId, null, v, ticker.nanoTime());
    return v;
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

  private static NotFoundException notFound(String service, String instanceId) {
    return new NotFoundException("no instance '" + instanceId + "' of service '" + service + "'");
  }
}
