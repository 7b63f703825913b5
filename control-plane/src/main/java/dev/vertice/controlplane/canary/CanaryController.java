package dev.vertice.controlplane.canary;

import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.canary.RolloutState;
import dev.vertice.canary.RolloutStateException;
import dev.vertice.canary.WindowStats;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import dev.vertice.controlplane.store.RolloutStore;

/**
 * {@code CanaryController} drives rollouts: it ticks each active rollout at its analysis interval on
 * the injected scheduler, reads the stage window's stats, applies the state machine, persists the
 * rollout, writes the service's TrafficPolicy (stable weight = 100 - candidate weight) and records
 * when every data-plane subscriber has acknowledged it.
 *
 * <p>Only the replica whose {@link Leadership} is held evaluates and writes: it checks the lease at
 * every {@code leaseCheckInterval}; when it gains the lease (at start, after a failover, after a
 * restart) it loads the active rollouts from the repository, publishes their policies again (the
 * previous holder may have stopped between persisting and publishing) and continues each rollout
 * where it stood. Commands on a replica without the lease fail with {@link NotLeaderException}.
 *
 * <p>The rollout is persisted before its policy is published, so that the repository is the
 * source of truth and a new lease holder republishes what it says; when publishing fails, the
 * persisted rollout is put back as it was and the command fails.
 *
 * <p>Watchers hear of rollouts through the repository's change listener, so that a replica
 * without the lease (or one of several sharing Redis) streams the lease holder's changes too.
 *
 * <p>Thread-safe: commands, ticks and convergence callbacks are serialised on one lock; watchers
 * are called under it, in order, and must not block.
 */
public final class CanaryController implements AutoCloseable {

  private static final Logger log = Logger.getLogger(CanaryController.class.getName());

  /** Default interval between two checks of the lease. */
  public static final Duration DEFAULT_LEASE_CHECK_INTERVAL = Duration.ofSeconds(1);

  private final StoredRollouts repository;
  private final PolicyPublisher policies;
  private final StatsWindows stats;
  private final Leadership leadership;
  private final ServingInstances instances;
  private final InstantSource clock;
  private final ScheduledExecutorService scheduler;
  private final Duration leaseCheckInterval;

  private final Object lock = new Object();
  /** Guarded by lock. */
  private final Map<String, ScheduledFuture<?>> ticks = new HashMap<>();
  /** Guarded by lock. */
  private final Map<String, List<Consumer<Rollout>>> watchers = new HashMap<>();
  /** The state last delivered to the watchers of each watched rollout. Guarded by lock. */
  private final Map<String, Rollout> delivered = new HashMap<>();
  /** Guarded by lock. */
  private boolean leading;
  /** Guarded by lock. */
  private boolean closed;
  private ScheduledFuture<?> leaseCheck;
  private final List<RolloutListener> listeners = new CopyOnWriteArrayList<>();

  private CanaryController(Builder b) {
    this.repository = new StoredRollouts(Objects.requireNonNull(b.rollouts, "rollouts"));
    this.policies = Objects.requireNonNull(b.policies, "policies");
    this.stats = Objects.requireNonNull(b.stats, "stats");
    this.leadership = Objects.requireNonNull(b.leadership, "leadership");
    this.instances = Objects.requireNonNull(b.instances, "instances");
    this.clock = Objects.requireNonNull(b.clock, "clock");
    this.scheduler = Objects.requireNonNull(b.scheduler, "scheduler");
    this.leaseCheckInterval = b.leaseCheckInterval;
    // Watchers hear of every write, this replica's or another's, through the repository. The
    // listener may run on a repository thread (a Redis subscription): hop to the scheduler.
    repository.addListener(r -> scheduler.execute(() -> deliver(r.id())));
  }

  /** Returns a builder; every collaborator must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Checks the lease now and then at every lease check interval; takes over rollouts when it is held. */
  public void start() {
    checkLease();
    synchronized (lock) {
      if (closed) {
        return;
      }
      leaseCheck = scheduler.scheduleAtFixedRate(this::checkLease, leaseCheckInterval.toNanos(),
          leaseCheckInterval.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** Returns whether this replica evaluates rollouts now. */
  public boolean leading() {
    synchronized (lock) {
      return leading;
    }
  }

  /** Stops ticking; rollouts stay where they stand in the repository for the next lease holder. */
  @Override
  public void close() {
    boolean wasLeading;
    synchronized (lock) {
      wasLeading = leading;
      closed = true;
      leading = false;
      if (leaseCheck != null) {
        leaseCheck.cancel(false);
      }
      ticks.values().forEach(t -> t.cancel(false));
      ticks.clear();
      watchers.clear();
      delivered.clear();
    }
    if (wasLeading) {
      leadership.release();
    }
  }

  // ---- commands ------------------------------------------------------------------------------

  /**
   * Creates a rollout and starts it: the first stage's weights are published before this returns.
   *
   * @throws RolloutStateException when the service already has an active rollout, or has no SERVING
   *     instance of the stable or the candidate version
   * @throws NotLeaderException when this replica does not hold the lease
   */
  public Rollout create(RolloutSpec spec) {
    synchronized (lock) {
      requireLeader();
      String service = spec.service();
      List<Rollout> all = repository.list();
      for (Rollout r : all) {
        if (r.spec().service().equals(service) && r.isActive()) {
          throw new RolloutStateException("service " + service + " already has an active rollout: " + r.id() + " ("
              + r.state() + "); finish, roll back or abort it first");
        }
      }
      List<String> missing = new ArrayList<>(2);
      for (String version : List.of(spec.stableVersion(), spec.candidateVersion())) {
        if (instances.count(service, version) == 0) {
          missing.add(version);
        }
      }
      if (!missing.isEmpty()) {
        throw new RolloutStateException("service " + service + " has no SERVING instance of version "
            + String.join(" nor of version ", missing) + ": register one before starting a rollout");
      }
      Instant now = clock.instant();
      Rollout pending = Rollout.create(nextId(service, all), spec, now);
      repository.put(pending);
      Rollout started = start(pending, now);
      schedule(started);
      return started;
    }
  }

  /** Returns the rollout {@code id}, or empty. Served by every replica. */
  public Optional<Rollout> get(String id) {
    return repository.get(id);
  }

  /**
   * Returns rollouts newest first.
   *
   * @param service only this service's when not null
   * @param activeOnly only active ones when true
   */
  public List<Rollout> list(String service, boolean activeOnly) {
    return repository.list().stream()
        .filter(r -> service == null || r.spec().service().equals(service))
        .filter(r -> !activeOnly || r.isActive())
        .sorted(Comparator.comparing(Rollout::createdAt).reversed().thenComparing(Rollout::id,
            Comparator.reverseOrder()))
        .toList();
  }

  /** Promotes by hand (see {@link Rollout#promote}). */
  public Rollout promote(String id, boolean full) {
    return command(id, (r, now) -> r.promote(now, full));
  }

  /** Rolls back by hand (see {@link Rollout#rollback}). */
  public Rollout rollback(String id, String reason) {
    return command(id, (r, now) -> r.rollback(now, reason));
  }

  /** Pauses (see {@link Rollout#pause}). */
  public Rollout pause(String id) {
    return command(id, (r, now) -> r.pause(now));
  }

  /** Resumes (see {@link Rollout#resume}); the stage timer restarts. */
  public Rollout resume(String id) {
    return command(id, (r, now) -> r.resume(now));
  }

  /** Aborts (see {@link Rollout#abort}). */
  public Rollout abort(String id) {
    return command(id, (r, now) -> r.abort(now));
  }

  /**
   * {@code addListener} calls {@code listener} with every change this replica commits while it
   * holds the lease (see {@link RolloutListener}), from now on.
   */
  public void addListener(RolloutListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * {@code addStoreListener} calls {@code listener} with every rollout written to the repository
   * from now on, by this replica or, for a shared repository, by the lease holder on another one:
   * unlike {@link #addListener}, it hears of the changes on every replica. It runs on a repository
   * thread and must be quick; writes missed while the shared store was unreachable are not replayed.
   */
  public void addStoreListener(Consumer<Rollout> listener) {
    repository.addListener(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Calls {@code listener} with the rollout now, then with every change this replica makes, in
   * order, until a final state has been delivered or the returned handle is closed. The listener
   * runs under the controller's lock: it must hand the value off without blocking.
   *
   * @throws RolloutNotFoundException when there is no such rollout
   */
  public AutoCloseable watch(String id, Consumer<Rollout> listener) {
    synchronized (lock) {
      Rollout r = repository.get(id).orElseThrow(() -> new RolloutNotFoundException(id));
      listener.accept(r);
      if (!r.isActive() && r.policyConverged()) {
        return () -> {};
      }
      watchers.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(listener);
      Rollout before = delivered.put(id, r);
      if (before != null && !before.equals(r)) {
        // Others watching already got an older state: bring them up to date too.
        deliver(id);
      }
      return () -> {
        synchronized (lock) {
          List<Consumer<Rollout>> list = watchers.get(id);
          if (list != null) {
            list.remove(listener);
            if (list.isEmpty()) {
              watchers.remove(id);
              delivered.remove(id);
            }
          }
        }
      };
    }
  }

  private interface Transition {
    Rollout apply(Rollout r, Instant now);
  }

  private Rollout command(String id, Transition t) {
    synchronized (lock) {
      requireLeader();
      Rollout r = repository.get(id).orElseThrow(() -> new RolloutNotFoundException(id));
      Rollout next = t.apply(r, clock.instant());
      commit(r, next);
      return repository.get(id).orElse(next);
    }
  }

  // ---- the loop ------------------------------------------------------------------------------

  private void checkLease() {
    boolean held;
    try {
      held = leadership.isLeader();
    } catch (RuntimeException e) {
      log.log(Level.WARNING, "canary lease check failed; acting as not leading", e);
      held = false;
    }
    synchronized (lock) {
      if (closed || held == leading) {
        return;
      }
      leading = held;
      if (!held) {
        log.info("canary lease lost: this replica stops evaluating rollouts");
        ticks.values().forEach(t -> t.cancel(false));
        ticks.clear();
        return;
      }
      log.info("canary lease held: this replica evaluates rollouts");
      takeOver();
    }
  }

  /** Continues every rollout that is active or whose last policy was not confirmed. Holds the lock. */
  private void takeOver() {
    // Only a service's newest rollout speaks for its policy: republishing an older, finished one
    // would overwrite the weights of the rollout that followed it.
    Map<String, Rollout> newest = new HashMap<>();
    for (Rollout r : repository.list()) {
      newest.merge(r.spec().service(), r, (x, y) -> x.createdAt().isAfter(y.createdAt()) ? x : y);
    }
    for (Rollout r : newest.values()) {
      try {
        if (r.state() == RolloutState.PENDING) {
          r = start(r, clock.instant());
        } else if (r.isActive() || !r.policyConverged()) {
          publish(r);
        }
        if (r.isActive()) {
          schedule(r);
        }
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "cannot take over rollout " + r.id(), e);
      }
    }
  }

  private Rollout start(Rollout pending, Instant now) {
    RolloutSpec spec = pending.spec();
    // The window just before the start: the stable p99 there is the baseline when the first stage
    // gives the candidate all the traffic (blue/green).
    Instant from = now.minus(spec.stageDuration());
    WindowStats stable = stats.window(spec.service(), spec.stableVersion(), from, now);
    WindowStats candidate = stats.window(spec.service(), spec.candidateVersion(), from, now);
    Rollout started = pending.start(now, stable, candidate);
    commit(pending, started);
    return repository.get(started.id()).orElse(started);
  }

  private void schedule(Rollout r) {
    if (ticks.containsKey(r.id()) || closed) {
      return;
    }
    long interval = r.spec().analysisInterval().toNanos();
    String id = r.id();
    ticks.put(id, scheduler.scheduleAtFixedRate(() -> tick(id), interval, interval, TimeUnit.NANOSECONDS));
  }

  private void tick(String id) {
    synchronized (lock) {
      if (!leading || closed) {
        return;
      }
      try {
        Optional<Rollout> current = repository.get(id);
        if (current.isEmpty() || !current.get().isActive()) {
          cancelTick(id);
          return;
        }
        Rollout r = current.get();
        if (!r.state().isAnalysed()) {
          return; // paused: the weights stay, nothing to judge
        }
        Instant now = clock.instant();
        RolloutSpec spec = r.spec();
        WindowStats stable = stats.window(spec.service(), spec.stableVersion(), r.stageStartedAt(), now);
        WindowStats candidate = stats.window(spec.service(), spec.candidateVersion(), r.stageStartedAt(), now);
        commit(r, r.analyse(now, stable, candidate));
      } catch (RuntimeException e) {
        // A store or stats failure skips this analysis; the next interval tries again.
        log.log(Level.WARNING, "analysis of rollout " + id + " failed; retrying at the next interval", e);
      }
    }
  }

  private void cancelTick(String id) {
    ScheduledFuture<?> t = ticks.remove(id);
    if (t != null) {
      t.cancel(false);
    }
  }

  /** Persists, publishes when the weights changed, and tells watchers. Holds the lock. */
  private void commit(Rollout before, Rollout after) {
    repository.put(after);
    if (after.candidateWeight() != before.candidateWeight() || before.state() == RolloutState.PENDING) {
      try {
        publish(after);
      } catch (RuntimeException e) {
        // The weights did not reach the store: the rollout stays as it was, and the caller learns why.
        repository.put(before);
        throw e;
      }
    }
    if (!after.isActive()) {
      cancelTick(after.id());
    }
    for (RolloutListener l : listeners) {
      try {
        l.committed(before, after);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "rollout listener failed", e);
      }
    }
  }

  /** Publishes the rollout's weights; marks it converged when every subscriber answered. */
  private void publish(Rollout r) {
    String service = r.spec().service();
    TrafficPolicy policy = TrafficPolicy.newBuilder()
        .setService(service)
        .addSubsets(Subset.newBuilder().setVersion(r.spec().stableVersion()).setWeight(r.stableWeight()))
        .addSubsets(Subset.newBuilder().setVersion(r.spec().candidateVersion()).setWeight(r.candidateWeight()))
        .setRolloutId(r.id())
        .build();
    int weight = r.candidateWeight();
    // The answer may come on a push thread that holds push-engine locks, which this controller
    // takes (through put) while holding its own: hop to the scheduler to keep one lock order.
    policies.put(policy).whenCompleteAsync((ok, failure) -> {
      if (failure != null) {
        // Publishing the same policy again would change nothing (the store keeps it): the rollout
        // says "not converged" until its next weights are confirmed.
        log.log(Level.WARNING, "policy of rollout " + r.id() + " at " + weight + " % was not confirmed by every"
            + " subscriber", failure);
        return;
      }
      converged(r.id(), weight);
    }, scheduler);
  }

  private void converged(String id, int weight) {
    synchronized (lock) {
      if (closed || !leading) {
        return;
      }
      Optional<Rollout> current = repository.get(id);
      if (current.isEmpty() || current.get().policyConverged() || current.get().candidateWeight() != weight) {
        return;
      }
      repository.put(current.get().withPolicyConverged(true));
    }
  }

  /** Delivers the rollout's current state to its watchers if it differs from the last delivered. */
  private void deliver(String id) {
    synchronized (lock) {
      List<Consumer<Rollout>> list = watchers.get(id);
      if (list == null) {
        return;
      }
      Optional<Rollout> current;
      try {
        current = repository.get(id);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "cannot read rollout " + id + " for its watchers", e);
        return;
      }
      if (current.isEmpty() || current.get().equals(delivered.get(id))) {
        return;
      }
      delivered.put(id, current.get());
      notifyWatchers(current.get(), list);
    }
  }

  private void notifyWatchers(Rollout r, List<Consumer<Rollout>> list) {
    for (Consumer<Rollout> w : list) {
      try {
        w.accept(r);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "rollout watcher failed", e);
      }
    }
    if (!r.isActive() && r.policyConverged()) {
      watchers.remove(r.id());
      delivered.remove(r.id());
    }
  }

  private void requireLeader() {
    if (closed || !leading) {
      throw new NotLeaderException();
    }
  }

  private static String nextId(String service, List<Rollout> all) {
    long max = 0;
    String prefix = service + "-";
    for (Rollout r : all) {
      if (r.id().startsWith(prefix)) {
        try {
          max = Math.max(max, Long.parseLong(r.id().substring(prefix.length())));
        } catch (NumberFormatException e) {
          // another service whose name starts with this one's, e.g. "orders-eu-1"
        }
      }
    }
    return prefix + (max + 1);
  }

  /** {@code Builder} wires a {@link CanaryController}. */
  public static final class Builder {
    private RolloutStore rollouts;
    private PolicyPublisher policies;
    private StatsWindows stats;
    private Leadership leadership = Leadership.always();
    private ServingInstances instances;
    private InstantSource clock = InstantSource.system();
    private ScheduledExecutorService scheduler;
    private Duration leaseCheckInterval = DEFAULT_LEASE_CHECK_INTERVAL;

    private Builder() {}

    /** Where rollouts are kept (in memory, or Redis shared by the replicas). */
    public Builder rollouts(RolloutStore v) {
      this.rollouts = v;
      return this;
    }

    /** Where TrafficPolicy resources are published. */
    public Builder policies(PolicyPublisher v) {
      this.policies = v;
      return this;
    }

    /** Where stage windows' stats come from. */
    public Builder stats(StatsWindows v) {
      this.stats = v;
      return this;
    }

    /** The canary lease; default always held (one replica). */
    public Builder leadership(Leadership v) {
      this.leadership = v;
      return this;
    }

    /** Counts SERVING instances of a version, for CreateRollout's precondition. */
    public Builder instances(ServingInstances v) {
      this.instances = v;
      return this;
    }

    /** Wall-clock time for the rollout's timestamps and windows; tests pass a fake. */
    public Builder clock(InstantSource v) {
      this.clock = v;
      return this;
    }

    /** Runs ticks and lease checks; tests pass a fake clock's scheduler. */
    public Builder scheduler(ScheduledExecutorService v) {
      this.scheduler = v;
      return this;
    }

    /** How often the lease is checked; default 1 s. */
    public Builder leaseCheckInterval(Duration v) {
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException("leaseCheckInterval must be positive: " + v);
      }
      this.leaseCheckInterval = v;
      return this;
    }

    /** Builds the controller; call {@link CanaryController#start()} to begin. */
    public CanaryController build() {
      return new CanaryController(this);
    }
  }
}
