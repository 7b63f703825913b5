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
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import dev.vertice.controlplane.registry.TrafficPolicies;
import dev.vertice.controlplane.store.CapacityExceededException;
import dev.vertice.controlplane.store.NotFoundException;
import dev.vertice.controlplane.store.Registration;
import dev.vertice.controlplane.store.RegistryStore;
import dev.vertice.controlplane.store.StoreUnavailableException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code RedisStore} keeps the registry's facts in Redis so that several control-plane replicas
 * share them, and feeds this replica's {@link RegistryView} from Redis's ordered change log.
 *
 * <p>Every write is one Lua script: it changes the instance (or a service's TrafficPolicy), takes
 * the next revision, and appends the change to a Redis Stream, atomically. Each replica reads the stream in order and applies it
 * to its view, so revisions (and so resource versions) are the same on every replica, and a watch
 * can resume on any of them. A replica whose position was trimmed from the log reloads a snapshot.
 * A write returns once this replica's view holds it (read-your-writes on one replica).
 *
 * <p>Leases live in Redis with deadlines taken from Redis's own clock. Expiry is a script that
 * removes due leases atomically, so it happens exactly once whichever replicas run it. Redis calls
 * go through a resilience4j circuit breaker: while Redis is unreachable, writes fail at once with
 * {@link StoreUnavailableException}, reads and watches are served from the view, and no lease is
 * expired; when Redis is reachable again, every lease gets a full TTL from that moment (clients
 * could not renew while it was down), and the log is read on from where this replica stopped.
 */
public final class RedisStore implements RegistryStore {

  private static final Logger log = Logger.getLogger(RedisStore.class.getName());
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
  private static final int EXPIRE_BATCH = 1000;
  private static final Duration READ_YOUR_WRITES_WAIT = Duration.ofSeconds(2);
  private static final int WRITE_CONNECTIONS = 4;
  /** Longer than one blocking log read (1 s) plus a reconnect: a reader silent for this long is cut off. */
  private static final Duration FOLLOW_TIMEOUT = Duration.ofSeconds(5);

  private final RedisStoreConfig redisConfig;
  private final RegistryConfig config;
  private final RegistryView view;
  private final Ticker ticker;
  private final Supplier<String> ids;
  private final RegistryEvents events;
  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final List<StatefulRedisConnection<String, byte[]>> writeConnections = new ArrayList<>();
  private final StatefulRedisConnection<String, byte[]> logConnection;
  /** Keepalives, grace, expiry, lease checks, snapshots: never queued behind a WAIT. */
  private final RedisCommands<String, byte[]> redis;
  /**
   * Writes and their WAIT, spread over a few connections: WAIT must run on the connection that
   * wrote, and blocks it meanwhile.
   */
  private final List<RedisCommands<String, byte[]>> writes = new ArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger nextWriter = new java.util.concurrent.atomic.AtomicInteger();
  private final CircuitBreaker breaker;
  private final Map<String, Script> scripts = new HashMap<>();
  private final byte[] prefix;
  private final String epoch;
  private final ScheduledExecutorService scheduler;
  private final long sweepMs;
  /** No sweep for this long means Redis was unreachable for every replica: lease time stands still. */
  private final long outageThresholdMs;
  private ScheduledFuture<?> expiryTask;
  private final Thread logReader;
  private final Object applied = new Object();
  private volatile boolean closed;
  private String lastLogId = "0-0"; // reader thread only
  /** When the reader last heard from Redis (an XREAD returned, with or without entries). */
  private volatile long lastLogContactNanos;

  /**
   * Connects to Redis and reads the shared epoch; {@link #start()} then loads the state.
   *
   * @param view an empty in-memory view that this store feeds (it holds no leases)
   * @throws StoreUnavailableException when Redis cannot be reached at start
   */
  public RedisStore(RedisStoreConfig redisConfig, RegistryConfig config, RegistryView view, Ticker ticker,
      ScheduledExecutorService scheduler, Supplier<String> ids, RegistryEvents events)
      throws StoreUnavailableException {
    this.redisConfig = redisConfig;
    this.config = config;
    this.view = view;
    this.ticker = ticker;
    this.ids = ids;
    this.events = events;
    this.prefix = redisConfig.prefix().getBytes(StandardCharsets.UTF_8);
    this.client = RedisClient.create(redisConfig.redisUri());
    client.setOptions(redisConfig.clientOptions()
        // Fail at once while disconnected instead of queueing: the breaker decides what follows.
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .autoReconnect(true)
        .timeoutOptions(TimeoutOptions.enabled(redisConfig.commandTimeout()))
        .build());
    this.breaker = CircuitBreaker.of("redis-store", CircuitBreakerConfig.custom()
        .failureRateThreshold(50)
        .slidingWindowSize(20)
        .minimumNumberOfCalls(5)
        .waitDurationInOpenState(Duration.ofSeconds(1))
        .permittedNumberOfCallsInHalfOpenState(3)
        .automaticTransitionFromOpenToHalfOpenEnabled(true)
        .recordExceptions(RedisException.class)
        .build());
    breaker.getEventPublisher().onStateTransition(e ->
        log.warning("Redis store circuit breaker: " + e.getStateTransition()));
    try {
      this.connection = client.connect(CODEC);
      for (int i = 0; i < WRITE_CONNECTIONS; i++) {
        writeConnections.add(client.connect(CODEC));
      }
      this.logConnection = client.connect(CODEC);
    } catch (RedisException e) {
      client.shutdown();
      throw new StoreUnavailableException("cannot reach Redis at " + redisConfig + ": " + failure(redisConfig, e), e);
    }
    this.redis = connection.sync();
    for (StatefulRedisConnection<String, byte[]> c : writeConnections) {
      writes.add(c.sync());
    }
    for (String name : List.of("register", "deregister", "replace", "keepalive", "grace", "expire", "snapshot",
        "policy")) {
      scripts.put(name, new Script(load("common") + "\n" + load(name)));
    }
    String sharedEpoch;
    try {
      sharedEpoch = guarded(() -> {
        redis.set(key("epoch"), HexFormat.of().formatHex(randomBytes()).getBytes(StandardCharsets.UTF_8),
            io.lettuce.core.SetArgs.Builder.nx());
        byte[] e = redis.get(key("epoch"));
        return e == null ? null : new String(e, StandardCharsets.UTF_8);
      });
      if (sharedEpoch == null) {
        throw new StoreUnavailableException("Redis at " + redisConfig + " lost the key " + key("epoch")
            + " right after writing it; is maxmemory-policy noeviction?", null);
      }
    } catch (StoreUnavailableException e) {
      closeConnections();
      throw e;
    }
    this.epoch = sharedEpoch;
    this.scheduler = scheduler;
    this.sweepMs = Math.max(config.expiryResolution().toMillis(), 100);
    this.outageThresholdMs = Math.max(1_000, 10 * sweepMs);
    this.logReader = new Thread(this::readLog, "vertice-redis-log");
    logReader.setDaemon(true);
  }

  /**
   * Loads the current state into the view and starts following the change log and expiring
   * leases. Call once, after the view's change listener is in place.
   */
  public void start() throws StoreUnavailableException {
    loadSnapshot(false);
    lastLogContactNanos = ticker.nanoTime();
    logReader.start();
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
    return breaker.getState() != CircuitBreaker.State.OPEN
        && ticker.nanoTime() - lastLogContactNanos < FOLLOW_TIMEOUT.toNanos();
  }

  /** Returns the circuit breaker's state, for status and metrics. */
  public CircuitBreaker.State breakerState() {
    return breaker.getState();
  }

  @Override
  public RegistryConfig config() {
    return config;
  }

  @Override
  public Registration register(Instance instance, Duration ttl, Duration keepaliveInterval)
      throws CapacityExceededException, StoreUnavailableException {
    Instance stored = instance.getInstanceId().isEmpty()
        ? instance.toBuilder().setInstanceId(instance.getService() + "-" + ids.get().substring(0, 12)).build()
        : instance;
    RedisCommands<String, byte[]> w = writer();
    List<Object> r = write(w, "register", stored.getService(), stored.getInstanceId(), stored.toByteArray(), ids.get(),
        ttl.toMillis(), config.maxInstances(), redisConfig.maxLogLength(), config.maxInstancesPerService());
    long revision = (Long) r.get(0);
    if (revision >= 0) {
      replicated(w);
    }
    if (revision == -2) {
      throw CapacityExceededException.instancesOf(stored.getService(), config.maxInstancesPerService());
    }
    if (revision < 0) {
      throw CapacityExceededException.instances(config.maxInstances());
    }
    awaitApplied(revision);
    boolean created = (Long) r.get(2) == 1;
    events.onRegistered(stored.getService(), stored.getInstanceId(), created);
    return new Registration(stored, string(r.get(1)), ttl, keepaliveInterval, revision, created);
  }

  @Override
  public long deregister(String service, String instanceId) throws NotFoundException, StoreUnavailableException {
    RedisCommands<String, byte[]> w = writer();
    long revision = (Long) write(w, "deregister", service, instanceId, redisConfig.maxLogLength()).get(0);
    if (revision < 0) {
      throw new NotFoundException("no instance '" + instanceId + "' of service '" + service + "'");
    }
    replicated(w);
    awaitApplied(revision);
    events.onRemoved(service, instanceId, RemovalReason.DEREGISTERED);
    return revision;
  }

  @Override
  public long setHealth(String service, String instanceId, HealthStatus health)
      throws NotFoundException, StoreUnavailableException {
    // Lua cannot edit protobuf: read, change, and compare-and-set, again if another write came between.
    RedisCommands<String, byte[]> w = writer();
    for (int attempt = 0; attempt < 10; attempt++) {
      byte[] current = guarded(() -> w.hget(key("svc:" + service), instanceId));
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
        replicated(w);
        awaitApplied(revision);
        return revision;
      }
    }
    throw new StoreUnavailableException("instance " + service + "/" + instanceId
        + " kept changing during the health update; retry", null);
  }

  @Override
  public long putTrafficPolicy(TrafficPolicy policy) throws CapacityExceededException, StoreUnavailableException {
    RedisCommands<String, byte[]> w = writer();
    long revision = (Long) write(w, "policy", policy.getService(), policy.toByteArray(), TrafficPolicies.MAX_POLICIES,
        redisConfig.maxLogLength()).get(0);
    if (revision < 0) {
      throw CapacityExceededException.trafficPolicies(TrafficPolicies.MAX_POLICIES);
    }
    replicated(w);
    awaitApplied(revision);
    return revision;
  }

  @Override
  public OptionalLong removeTrafficPolicy(String service) throws StoreUnavailableException {
    RedisCommands<String, byte[]> w = writer();
    long revision = (Long) write(w, "policy", service, new byte[0], TrafficPolicies.MAX_POLICIES,
        redisConfig.maxLogLength()).get(0);
    if (revision == 0) {
      return OptionalLong.empty();
    }
    replicated(w);
    awaitApplied(revision);
    return OptionalLong.of(revision);
  }

  @Override
  public OptionalLong keepAlive(String leaseId, String streamId) throws StoreUnavailableException {
    long ttlMs = eval(redis, "keepalive", ScriptOutputType.INTEGER, leaseId, streamId == null ? "" : streamId);
    if (ttlMs < 0) {
      return OptionalLong.empty();
    }
    events.onKeepAlive();
    return OptionalLong.of(TimeUnit.MILLISECONDS.toNanos(ttlMs));
  }

  @Override
  public java.util.Optional<String> leaseService(String leaseId) throws StoreUnavailableException {
    RedisCommands<String, byte[]> w = writer();
    byte[] service = guarded(() -> w.hget(key("lease:" + leaseId), "s"));
    return service == null ? java.util.Optional.empty()
        : java.util.Optional.of(new String(service, StandardCharsets.UTF_8));
  }

  @Override
  public boolean hasLease(String leaseId) {
    try {
      return guarded(() -> redis.exists(key("lease:" + leaseId))) > 0;
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
      eval(redis, "grace", ScriptOutputType.INTEGER, args.toArray());
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
    logReader.interrupt();
    closeConnections();
    try {
      logReader.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits until the configured number of Redis replicas hold every write made so far on this
   * connection, so that a Sentinel failover cannot lose an acknowledged write. When fewer replicas
   * are connected (after a failover took the only one away), every connected replica must hold it,
   * and the master's append-only file is the rest of the guarantee.
   */
  private void replicated(RedisCommands<String, byte[]> w) throws StoreUnavailableException {
    int want = redisConfig.minReplicas();
    if (want == 0) {
      return;
    }
    // Half the command timeout, so that WAIT answers before the client gives up on it.
    long waitMs = Math.max(1, redisConfig.commandTimeout().toMillis() / 2);
    long got = guarded(() -> w.waitForReplication(want, waitMs));
    if (got >= want) {
      return;
    }
    long connected = connectedReplicas();
    if (got >= connected) {
      return;
    }
    throw new StoreUnavailableException("the write reached the Redis master but only " + got + " of " + connected
        + " connected replicas in time, so a failover could lose it; retry (Register and SetHealth are idempotent)",
        null);
  }

  private long connectedReplicas() throws StoreUnavailableException {
    String info = guarded(() -> redis.info("replication"));
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("connected_slaves:")) {
        return Long.parseLong(line.substring("connected_slaves:".length()).strip());
      }
    }
    return 0;
  }

  private void closeConnections() {
    connection.close();
    writeConnections.forEach(StatefulRedisConnection::close);
    logConnection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  // --- the change log ---

  private void readLog() {
    RedisCommands<String, byte[]> reader = logConnection.sync();
    long backoffMs = 100;
    boolean reload = false;
    while (!closed) {
      try {
        if (reload) {
          loadSnapshot(true);
          reload = false;
        }
        List<StreamMessage<String, byte[]>> batch = readFrom(reader, lastLogId);
        long now = ticker.nanoTime();
        lastLogContactNanos = now;
        for (StreamMessage<String, byte[]> m : batch) {
          long revision = revisionOf(m);
          if (revision < 0) {
            log.severe("unreadable change-log entry " + m.getId() + "; skipped");
            lastLogId = m.getId();
            continue;
          }
          if (revision > view.revision() + 1) {
            // Changes between what the view holds and this one were trimmed away: reload.
            log.info("change log trimmed past revision " + view.revision() + "; reloading a snapshot");
            loadSnapshot(false);
            break;
          }
          if (revision <= view.revision()) {
            // A new entry that does not advance the history: Redis lost writes this replica had
            // applied (restarted from an older file, or a lagging replica was promoted). Redis's
            // state is the truth from here: take it whole.
            log.warning("Redis's history went back from revision " + view.revision() + " to " + revision
                + " (lost writes: restart from an older file, or failover to a lagging replica);"
                + " reloading its state. Watchers holding versions above " + (revision - 1)
                + " may keep stale values until the next change; use appendfsync always and min-replicas-to-write");
            loadSnapshot(true);
            break;
          }
          apply(m, revision, now);
          lastLogId = m.getId();
        }
        synchronized (applied) {
          applied.notifyAll();
        }
        backoffMs = 100;
      } catch (StoreUnavailableException | RuntimeException e) {
        if (closed) {
          return;
        }
        if (!(e instanceof RedisException) && !(e instanceof StoreUnavailableException)) {
          // Never let the reader die: a view that stops following the log serves a frozen registry.
          log.log(Level.SEVERE, "applying the change log failed; reloading a snapshot", e);
          reload = true;
        } else {
          log.log(Level.FINE, "reading the change log failed; retrying", e);
        }
        try {
          Thread.sleep(backoffMs); // reconnect backoff, not a poll: the next XREAD blocks on Redis
        } catch (InterruptedException ie) {
          return;
        }
        backoffMs = Math.min(backoffMs * 2, 2000);
      }
    }
  }

  private static long revisionOf(StreamMessage<String, byte[]> m) {
    try {
      return Long.parseLong(string(m.getBody().get("r")));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  // Lettuce's xread takes a generic varargs array; one offset is passed, so no heap pollution.
  @SuppressWarnings("unchecked")
  private List<StreamMessage<String, byte[]>> readFrom(RedisCommands<String, byte[]> reader, String id) {
    return reader.xread(XReadArgs.Builder.block(1000).count(512), XReadArgs.StreamOffset.from(key("log"), id));
  }

  private void apply(StreamMessage<String, byte[]> m, long revision, long now) {
    Map<String, byte[]> body = m.getBody();
    String service = string(body.get("s"));
    byte[] data = body.get("d");
    if (string(body.get("t")).equals("p")) {
      TrafficPolicy policy = null;
      if (data != null && data.length > 0) {
        try {
          policy = TrafficPolicy.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
          // Applied as a removal: routers then fall back to instance weights rather than a stale split.
          log.severe("unreadable traffic policy at revision " + revision + " (" + service + "); applied as removed");
        }
      }
      view.applyTrafficPolicy(service, policy, revision, now);
      return;
    }
    String id = string(body.get("i"));
    Instance instance = null;
    if (data != null && data.length > 0) {
      try {
        instance = Instance.parseFrom(data);
      } catch (InvalidProtocolBufferException e) {
        log.severe("unreadable change at revision " + revision + " (" + service + "/" + id + "); skipped");
      }
    }
    view.apply(service, id, instance, revision, now);
    String reason = string(body.get("x"));
    if (reason.equals("EXPIRED") || reason.equals("GRACE_EXPIRED")) {
      log.info(() -> "lease " + reason.toLowerCase() + ": removed " + service + "/" + id);
    }
  }

  private void loadSnapshot(boolean force) throws StoreUnavailableException {
    List<Object> snap = eval(redis, "snapshot", ScriptOutputType.MULTI);
    long revision = (Long) snap.get(0);
    Map<String, List<Instance>> state = new HashMap<>();
    Map<String, Long> versions = new HashMap<>();
    for (Object entry : (List<?>) snap.get(2)) {
      List<?> svc = (List<?>) entry;
      String service = string(svc.get(0));
      List<Instance> instances = new ArrayList<>();
      for (Object bytes : (List<?>) svc.get(2)) {
        try {
          instances.add(Instance.parseFrom((byte[]) bytes));
        } catch (InvalidProtocolBufferException e) {
          log.severe("unreadable instance of " + service + " in Redis; skipped");
        }
      }
      instances.sort((a, b) -> a.getInstanceId().compareTo(b.getInstanceId()));
      state.put(service, instances);
      versions.put(service, (Long) svc.get(1));
    }
    Map<String, StoredTrafficPolicy> policies = new HashMap<>();
    for (Object entry : (List<?>) snap.get(3)) {
      List<?> p = (List<?>) entry;
      String service = string(p.get(0));
      try {
        policies.put(service, new StoredTrafficPolicy(service, TrafficPolicy.parseFrom((byte[]) p.get(2)),
            (Long) p.get(1)));
      } catch (InvalidProtocolBufferException e) {
        log.severe("unreadable traffic policy of " + service + " in Redis; skipped");
      }
    }
    view.replaceAll(state, versions, policies, revision, ticker.nanoTime(), force);
    lastLogId = string(snap.get(1));
    synchronized (applied) {
      applied.notifyAll();
    }
  }

  private void awaitApplied(long revision) {
    long deadline = System.nanoTime() + READ_YOUR_WRITES_WAIT.toNanos();
    synchronized (applied) {
      while (view.revision() < revision) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warning("revision " + revision + " not yet read from the change log after " + READ_YOUR_WRITES_WAIT);
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(applied, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  // --- leases ---

  private void expireDue() {
    if (breaker.getState() == CircuitBreaker.State.OPEN) {
      return; // a lease that cannot be verified is never expired; half-open, this sweep is a probe
    }
    try {
      long removed;
      do {
        removed = eval(redis, "expire", ScriptOutputType.INTEGER, EXPIRE_BATCH, redisConfig.maxLogLength(),
            outageThresholdMs);
      } while (removed == EXPIRE_BATCH && !closed);
    } catch (StoreUnavailableException e) {
      log.log(Level.FINE, "lease expiry skipped: Redis unreachable", e);
    } catch (RuntimeException e) {
      log.log(Level.SEVERE, "lease expiry failed", e);
    }
  }

  // --- Redis plumbing ---

  /** Picks the write connection for one write and its WAIT. */
  private RedisCommands<String, byte[]> writer() {
    return writes.get(Math.floorMod(nextWriter.getAndIncrement(), writes.size()));
  }

  /** Runs a write script on write connection {@code w} (see {@link #replicated}). */
  private List<Object> write(RedisCommands<String, byte[]> w, String script, Object... args)
      throws StoreUnavailableException {
    return eval(w, script, ScriptOutputType.MULTI, args);
  }

  private <T> T eval(RedisCommands<String, byte[]> on, String name, ScriptOutputType type, Object... args)
      throws StoreUnavailableException {
    byte[][] values = new byte[args.length + 1][];
    values[0] = prefix;
    for (int i = 0; i < args.length; i++) {
      values[i + 1] = args[i] instanceof byte[] b ? b : String.valueOf(args[i]).getBytes(StandardCharsets.UTF_8);
    }
    Script script = scripts.get(name);
    return guarded(() -> {
      try {
        return on.evalsha(script.sha, type, new String[0], values);
      } catch (RedisNoScriptException e) {
        // A restarted or newly promoted Redis has an empty script cache.
        return on.eval(script.source, type, new String[0], values);
      }
    });
  }

  private <T> T guarded(Supplier<T> call) throws StoreUnavailableException {
    try {
      return breaker.executeSupplier(call);
    } catch (CallNotPermittedException e) {
      throw new StoreUnavailableException("the registry store (Redis) is unreachable; writes are refused until it"
          + " returns (reads and watches continue from memory)", e);
    } catch (RedisException e) {
      throw new StoreUnavailableException("the registry store (Redis) failed: " + e.getMessage(), e);
    }
  }

  private String key(String name) {
    return redisConfig.prefix() + ":" + name;
  }

  private static String string(Object bytes) {
    return bytes == null ? "" : new String((byte[]) bytes, StandardCharsets.UTF_8);
  }

  /**
   * Describes a failure to connect to {@code c}. With RESP3 (lettuce's default) a refused password
   * fails the HELLO handshake, and lettuce may report only "Connection closed prematurely"; one
   * RESP2 connection (AUTH, then PING) then tells a wrong password from other failures.
   */
  static String failure(RedisStoreConfig c, Throwable e) {
    String first = failure(e);
    if (c.password() == null || first.contains("Redis refused the credentials")) {
      return first;
    }
    RedisClient probe = RedisClient.create(c.redisUri());
    try {
      probe.setOptions(c.clientOptions().protocolVersion(io.lettuce.core.protocol.ProtocolVersion.RESP2)
          .timeoutOptions(TimeoutOptions.enabled(c.commandTimeout())).build());
      try (StatefulRedisConnection<String, String> connection = probe.connect()) {
        connection.sync().ping();
      }
      return first;
    } catch (RedisException probeFailure) {
      String second = failure(probeFailure);
      return second.contains("Redis refused the credentials") ? second : first;
    } finally {
      probe.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }

  /**
   * Describes a connection failure by its causes ("Unable to connect…: WRONGPASS…"), naming the
   * password setting when Redis refused it. Redis and lettuce never echo a password back.
   */
  static String failure(Throwable e) {
    StringBuilder s = new StringBuilder();
    boolean auth = false;
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && !s.toString().contains(m)) {
        s.append(s.length() == 0 ? "" : ": ").append(m);
      }
      auth |= m != null && (m.contains("WRONGPASS") || m.contains("NOAUTH") || m.contains("AUTH failed")
          || m.contains("without any password configured"));
    }
    if (auth) {
      s.append(" (Redis refused the credentials: check the password in --store-password-file /"
          + " VERTICE_STORE_PASSWORD_FILE)");
    }
    return s.toString();
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[4];
    new java.security.SecureRandom().nextBytes(b);
    return b;
  }

  private static String load(String name) {
    String path = "/dev/vertice/controlplane/store/redis/" + name + ".lua";
    try (InputStream in = RedisStore.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing script " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path, e);
    }
  }

  /** A Lua script and its SHA-1, for EVALSHA. */
  private static final class Script {
    final String source;
    final String sha;

    Script(String source) {
      this.source = source;
      try {
        this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
            .digest(source.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
