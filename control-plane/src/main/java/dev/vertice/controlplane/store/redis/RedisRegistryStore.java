package dev.vertice.controlplane.store.redis;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.RemovalReason;
import dev.vertice.controlplane.registry.TrafficPolicies;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.NotFoundException;
import dev.vertice.controlplane.store.Registration;
import dev.vertice.controlplane.store.RegistrationRequest;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code RedisRegistryStore} keeps the registry's facts in Redis so that several control-plane
 * replicas share them; its {@link ChangeLogFollower} feeds this replica's {@link RegistryView} from
 * Redis's ordered change log.
 *
 * <p>Every write is one Lua script: it changes the instance (or a service's TrafficPolicy), takes
 * the next revision, and appends the change to a Redis Stream, atomically. Each replica reads the
 * stream in order and applies it to its view, so revisions (and so resource versions) are the same
 * on every replica. A write returns once this replica's view holds it (read-your-writes on one
 * replica).
 *
 * <p>Leases live in Redis with deadlines taken from Redis's own clock. Expiry is a script that
 * removes due leases atomically, so it happens exactly once whichever replicas run it. Redis calls
 * go through a resilience4j circuit breaker ({@link RedisLink}): while Redis is unreachable, writes
 * fail at once with {@link StoreUnavailableException}, reads and watches are served from the view,
 * and no lease is expired; when Redis is reachable again, every lease gets a full TTL from that
 * moment (clients could not renew while it was down), and the log is read on from where this
 * replica stopped.
 */
public final class RedisRegistryStore implements RegistryStore {

  private static final Logger log = Logger.getLogger(RedisRegistryStore.class.getName());
  /** Most due leases one expiry script looks at: keeps every call to Redis short (see expire.lua). */
  static final int EXPIRE_BATCH = 128;
  private static final List<String> SCRIPTS =
      List.of("register_batch", "deregister", "replace", "keepalive", "keepalive_batch", "grace", "expire", "snapshot",
          "policy");

  /** What a registration's deadline allows beyond its command timeout (Redis clock measurement error). */
  static final long FENCE_SLACK_MILLIS = 1_000;

  private final RedisStoreConfig redisConfig;
  /** Redis's time in milliseconds, for the registration scripts' deadlines; null: none (see fenceWrites). */
  private volatile LongSupplier redisMillis;
  private final RegistryConfig config;
  private final Ticker ticker;
  private final Supplier<String> ids;
  private final RegistryEvents events;
  private final RedisLink link;
  /** Keepalives, grace, expiry, lease checks: never queued behind a WAIT. */
  private final RedisCommands<String, byte[]> redis;
  private final ChangeLogFollower follower;
  private final String epoch;
  private final ScheduledExecutorService scheduler;
  private final long sweepMs;
  /** No sweep for this long means Redis was unreachable for every replica: lease time stands still. */
  private final long outageThresholdMs;
  private ScheduledFuture<?> expiryTask;
  private volatile boolean closed;

  /**
   * Connects to Redis and reads the shared epoch; {@link #start()} then loads the state.
   *
   * @param view an empty view that this store feeds, written by no one else
   * @throws StoreUnavailableException when Redis cannot be reached at start
   */
  public RedisRegistryStore(RedisStoreConfig redisConfig, RegistryConfig config, RegistryView view, Ticker ticker,
      ScheduledExecutorService scheduler, Supplier<String> ids, RegistryEvents events)
      throws StoreUnavailableException {
    this.redisConfig = redisConfig;
    this.config = config;
    this.ticker = ticker;
    this.ids = ids;
    this.events = events;
    this.link = new RedisLink(redisConfig, SCRIPTS);
    this.redis = link.commands();
    String sharedEpoch;
    try {
      sharedEpoch = link.guarded(() -> {
        byte[] fresh = HexFormat.of().formatHex(randomBytes()).getBytes(StandardCharsets.UTF_8);
        redis.set(link.key("epoch"), fresh, SetArgs.Builder.nx());
        byte[] e = redis.get(link.key("epoch"));
        return e == null ? null : new String(e, StandardCharsets.UTF_8);
      });
      if (sharedEpoch == null) {
        throw new StoreUnavailableException("Redis at " + redisConfig + " lost the key " + link.key("epoch")
            + " right after writing it; is maxmemory-policy noeviction?", null);
      }
    } catch (StoreUnavailableException e) {
      link.close();
      throw e;
    }
    this.epoch = sharedEpoch;
    this.follower = new ChangeLogFollower(link, view, ticker);
    this.scheduler = scheduler;
    this.sweepMs = Math.max(config.expiryResolution().toMillis(), 100);
    this.outageThresholdMs = Math.max(1_000, 10 * sweepMs);
  }

  /**
   * Loads the current state into the view and starts following the change log and expiring
   * leases. Call once, after the view's listeners are in place.
   */
  public void start() throws StoreUnavailableException {
    follower.start();
    this.expiryTask = scheduler.scheduleWithFixedDelay(this::expireDue, sweepMs, sweepMs, TimeUnit.MILLISECONDS);
  }

  /** Returns the epoch of the shared history: the same on every replica of this store. */
  public String epoch() {
    return epoch;
  }

  /**
   * Returns whether the view follows Redis: the log reader heard from it within the last few
   * seconds (it blocks at most one second per read) and the breaker is not open.
   */
  @Override
  public boolean following() {
    return follower.following();
  }

  /** Returns the circuit breaker's state, for status and metrics. */
  public CircuitBreaker.State breakerState() {
    return link.breakerState();
  }

  @Override
  public RegistryConfig config() {
    return config;
  }

  @Override
  public Registration register(Instance instance, Duration ttl, Duration keepaliveInterval)
      throws CapacityExceededException, StoreUnavailableException {
    try {
      return registerBatch(List.of(new RegistrationRequest(instance, ttl, keepaliveInterval))).join().get(0);
    } catch (CompletionException e) {
      if (e.getCause() instanceof CapacityExceededException c) {
        throw c;
      }
      if (e.getCause() instanceof StoreUnavailableException u) {
        throw u;
      }
      throw e;
    }
  }

  /**
   * Registers the batch with one script call on a write connection, then its WAIT (shared with the
   * other writes on that connection, {@link RedisLink#replicatedAsync}), then waits for the change
   * log to bring it into this replica's view: no thread waits meanwhile.
   */
  @Override
  public CompletableFuture<List<Registration>> registerBatch(List<RegistrationRequest> entries) {
    List<Instance> stored = new ArrayList<>(entries.size());
    List<Object> args = new ArrayList<>(4 + entries.size() * 5);
    args.add(config.maxInstances());
    args.add(redisConfig.maxLogLength());
    args.add(config.maxInstancesPerService());
    args.add(entries.size());
    for (RegistrationRequest e : entries) {
      Instance in = e.instance();
      if (in.getInstanceId().isEmpty()) {
        in = in.toBuilder().setInstanceId(in.getService() + "-" + ids.get().substring(0, 12)).build();
      }
      stored.add(in);
      args.add(in.getService());
      args.add(in.getInstanceId());
      args.add(in.toByteArray());
      args.add(ids.get());
      args.add(e.ttl().toMillis());
    }
    args.add(0L); // the deadline, set when the script is sent (see notAfter)
    RedisLink.AsyncWriter w = link.asyncWriter();
    Object[] argv = args.toArray();
    CompletableFuture<List<Object>> written;
    if (entries.size() == 1) {
      argv[argv.length - 1] = notAfter();
      written = link.evalAsync(w.commands, "register_batch", ScriptOutputType.MULTI, argv);
    } else {
      // Larger batches one at a time per connection: a script queued behind others would spend its
      // command timeout waiting (lettuce times a command from when it is queued), and Redis runs
      // one script at a time anyway.
      synchronized (w) {
        CompletableFuture<?> before = w.batchTail;
        written = before.handle((r, e) -> null).thenCompose(v -> {
          argv[argv.length - 1] = notAfter();
          return link.<List<Object>>evalAsync(w.commands, "register_batch", ScriptOutputType.MULTI, argv);
        });
        w.batchTail = written;
      }
    }
    return written.thenCompose(r -> {
      long highest = (Long) r.get(0);
      if (highest == -3) {
        throw new CompletionException(new StoreUnavailableException("the registration reached Redis after its"
            + " deadline (its connection was cut while it was on the way); it was not applied", null));
      }
      if (highest == -2) {
        throw new CompletionException(CapacityExceededException.instancesOf(string(r.get(1)),
            config.maxInstancesPerService()));
      }
      if (highest < 0) {
        throw new CompletionException(CapacityExceededException.instances(config.maxInstances()));
      }
      return link.replicatedAsync(w).thenCompose(v -> follower.applied(highest)).thenApply(v -> {
        List<Registration> out = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
          Instance in = stored.get(i);
          RegistrationRequest e = entries.get(i);
          boolean created = (Long) r.get(2 + 3 * i) == 1;
          out.add(new Registration(in, string(r.get(1 + 3 * i)), e.ttl(), e.keepaliveInterval(),
              (Long) r.get(3 + 3 * i), created));
          events.onRegistered(in.getService(), in.getInstanceId(), created);
        }
        return out;
      });
    }).handle((out, e) -> {
      if (e == null) {
        return CompletableFuture.completedFuture(out);
      }
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      return CompletableFuture.<List<Registration>>failedFuture(cause);
    }).thenCompose(java.util.function.Function.identity());
  }

  /**
   * {@code fenceWrites} makes every registration, deregistration, health and policy script carry a
   * deadline in {@code redisMillis} (Redis's clock, as {@link RedisTimeClock} tracks it; never
   * blocking): its command timeout and a second of slack after it is sent. A script that reaches
   * Redis later changes nothing. Without it, a write whose connection was cut mid-way (a partition
   * drops packets; the kernel keeps retransmitting) could run after the partition heals, after the
   * caller had given up and written again: a Register undoing an acknowledged Deregister, a
   * Deregister or health change undoing an acknowledged Register or health change.
   */
  void fenceWrites(LongSupplier redisMillis) {
    this.redisMillis = redisMillis;
  }

  /** The deadline of a write script sent now, in Redis's milliseconds (0: none). */
  private long notAfter() {
    LongSupplier now = redisMillis;
    return now == null ? 0 : now.getAsLong() + redisConfig.commandTimeout().toMillis() + FENCE_SLACK_MILLIS;
  }

  /** Renews the leases with one script call on the connection that never waits behind a WAIT. */
  @Override
  public CompletableFuture<long[]> keepAliveBatch(List<String> leaseIds, String streamId) {
    Object[] args = new Object[leaseIds.size() + 1];
    args[0] = streamId == null ? "" : streamId;
    for (int i = 0; i < leaseIds.size(); i++) {
      args[i + 1] = leaseIds.get(i);
    }
    CompletableFuture<List<Object>> renewed = link.evalAsync(link.asyncCommands(), "keepalive_batch",
        ScriptOutputType.MULTI, args);
    return renewed.thenApply(r -> {
      long[] out = new long[r.size()];
      for (int i = 0; i < out.length; i++) {
        long ms = (Long) r.get(i);
        out[i] = ms < 0 ? -1 : TimeUnit.MILLISECONDS.toNanos(ms);
        if (ms >= 0) {
          events.onKeepAlive();
        }
      }
      return out;
    });
  }

  @Override
  public long deregister(String service, String instanceId) throws NotFoundException, StoreUnavailableException {
    RedisCommands<String, byte[]> w = link.writer();
    long revision = (Long) write(w, "deregister", service, instanceId, redisConfig.maxLogLength()).get(0);
    if (revision < 0) {
      throw new NotFoundException("no instance '" + instanceId + "' of service '" + service + "'");
    }
    link.replicated(w);
    follower.awaitApplied(revision);
    events.onRemoved(service, instanceId, RemovalReason.DEREGISTERED);
    return revision;
  }

  @Override
  public long setHealth(String service, String instanceId, HealthStatus health)
      throws NotFoundException, StoreUnavailableException {
    // Lua cannot edit protobuf: read, change, and compare-and-set, again if another write came between.
    RedisCommands<String, byte[]> w = link.writer();
    for (int attempt = 0; attempt < 10; attempt++) {
      byte[] current = link.guarded(() -> w.hget(link.key("svc:" + service), instanceId));
      if (current == null) {
        throw new NotFoundException("no instance '" + instanceId + "' of service '" + service + "'");
      }
      Instance updated;
      try {
        updated = Instance.parseFrom(current).toBuilder().setHealth(health).build();
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("unreadable instance in Redis: " + service + "/" + instanceId, e);
      }
      long revision = (Long) write(w, "replace", service, instanceId, current, updated.toByteArray(),
          redisConfig.maxLogLength()).get(0);
      if (revision == -1) {
        throw new NotFoundException("no instance '" + instanceId + "' of service '" + service + "'");
      }
      if (revision > 0) {
        link.replicated(w);
        follower.awaitApplied(revision);
        return revision;
      }
    }
    throw new StoreUnavailableException("instance " + service + "/" + instanceId
        + " kept changing during the health update; retry", null);
  }

  @Override
  public long putTrafficPolicy(TrafficPolicy policy) throws CapacityExceededException, StoreUnavailableException {
    RedisCommands<String, byte[]> w = link.writer();
    long revision = (Long) write(w, "policy", policy.getService(), policy.toByteArray(), TrafficPolicies.MAX_POLICIES,
        redisConfig.maxLogLength()).get(0);
    if (revision < 0) {
      throw CapacityExceededException.trafficPolicies(TrafficPolicies.MAX_POLICIES);
    }
    link.replicated(w);
    follower.awaitApplied(revision);
    return revision;
  }

  @Override
  public OptionalLong removeTrafficPolicy(String service) throws StoreUnavailableException {
    RedisCommands<String, byte[]> w = link.writer();
    long revision = (Long) write(w, "policy", service, new byte[0], TrafficPolicies.MAX_POLICIES,
        redisConfig.maxLogLength()).get(0);
    if (revision == 0) {
      return OptionalLong.empty();
    }
    link.replicated(w);
    follower.awaitApplied(revision);
    return OptionalLong.of(revision);
  }

  @Override
  public OptionalLong keepAlive(String leaseId, String streamId) throws StoreUnavailableException {
    long ttlMs = link.eval(redis, "keepalive", ScriptOutputType.INTEGER, leaseId, streamId == null ? "" : streamId);
    if (ttlMs < 0) {
      return OptionalLong.empty();
    }
    events.onKeepAlive();
    return OptionalLong.of(TimeUnit.MILLISECONDS.toNanos(ttlMs));
  }

  @Override
  public java.util.Optional<String> leaseService(String leaseId) throws StoreUnavailableException {
    RedisCommands<String, byte[]> w = link.writer();
    byte[] service = link.guarded(() -> w.hget(link.key("lease:" + leaseId), "s"));
    return service == null ? java.util.Optional.empty()
        : java.util.Optional.of(new String(service, StandardCharsets.UTF_8));
  }

  @Override
  public boolean hasLease(String leaseId) {
    try {
      return link.guarded(() -> redis.exists(link.key("lease:" + leaseId))) > 0;
    } catch (StoreUnavailableException e) {
      return true; // cannot tell: keep counting it
    }
  }

  @Override
  public void keepAliveStreamEnded(String streamId, Collection<String> leaseIds) {
    if (leaseIds.isEmpty()) {
      return;
    }
    List<Object> args = new ArrayList<>();
    args.add(config.grace().toMillis());
    args.add(streamId == null ? "" : streamId);
    args.addAll(leaseIds);
    try {
      link.eval(redis, "grace", ScriptOutputType.INTEGER, args.toArray());
    } catch (StoreUnavailableException e) {
      // The leases keep their deadlines; without Redis nothing expires anyway.
      log.warning("could not start the grace period of " + leaseIds.size() + " leases: " + e.getMessage());
    }
  }


  @Override
  public void close() {
    closed = true;
    if (expiryTask != null) {
      expiryTask.cancel(false);
    }
    follower.close();
    link.close();
    follower.join();
  }

  // --- leases ---

  private void expireDue() {
    if (link.breakerState() == CircuitBreaker.State.OPEN) {
      return; // a lease that cannot be verified is never expired; half-open, this sweep is a probe
    }
    try {
      long looked;
      do {
        // One short script per batch: other commands run between batches, however many are due.
        List<Object> r = link.eval(redis, "expire", ScriptOutputType.MULTI, EXPIRE_BATCH,
            redisConfig.maxLogLength(), outageThresholdMs);
        looked = (Long) r.get(0);
        List<?> removed = (List<?>) r.get(1);
        // Counted by the replica whose script removed them: once across replicas, like the removal.
        for (int i = 0; i + 2 < removed.size(); i += 3) {
          events.onRemoved(string(removed.get(i)), string(removed.get(i + 1)),
              RemovalReason.valueOf(string(removed.get(i + 2))));
        }
      } while (looked == EXPIRE_BATCH && !closed);
    } catch (StoreUnavailableException e) {
      log.log(Level.FINE, "lease expiry skipped: Redis unreachable", e);
    } catch (RuntimeException e) {
      log.log(Level.SEVERE, "lease expiry failed", e);
    }
  }


  /**
   * Runs a write script on write connection {@code w} (see {@link RedisLink#replicated}) with its
   * deadline as the last argument ({@link #notAfter}): a script that reaches Redis after it changes
   * nothing, and the caller gets {@link StoreUnavailableException}.
   */
  private List<Object> write(RedisCommands<String, byte[]> w, String script, Object... args)
      throws StoreUnavailableException {
    Object[] fenced = java.util.Arrays.copyOf(args, args.length + 1);
    fenced[args.length] = notAfter();
    List<Object> r = link.eval(w, script, ScriptOutputType.MULTI, fenced);
    if ((Long) r.get(0) == -3) {
      throw new StoreUnavailableException("the " + script + " write reached Redis after its deadline (its connection"
          + " was cut while it was on the way); it was not applied", null);
    }
    return r;
  }

  private static String string(Object bytes) {
    return ChangeLogFollower.string(bytes);
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[4];
    new SecureRandom().nextBytes(b);
    return b;
  }
}
