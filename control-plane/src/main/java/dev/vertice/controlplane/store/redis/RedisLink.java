package dev.vertice.controlplane.store.redis;

import dev.vertice.controlplane.store.StoreUnavailableException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * {@code RedisLink} holds the registry store's connections to Redis and the circuit breaker every
 * call goes through: one connection for keepalives, grace, expiry, lease checks and snapshots
 * (never queued behind a WAIT), a few for writes and their WAIT, and one for the blocking reads of
 * the change log.
 *
 * <p>While the breaker is open, calls fail at once with {@link StoreUnavailableException}. Also
 * home of what every Redis connection of the store shares: client options and the description of a
 * failure to connect.
 */
final class RedisLink implements AutoCloseable {

  private static final Logger log = Logger.getLogger(RedisLink.class.getName());
  static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
  private static final int WRITE_CONNECTIONS = 4;

  private final RedisStoreConfig config;
  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final List<StatefulRedisConnection<String, byte[]>> writeConnections = new ArrayList<>();
  private final StatefulRedisConnection<String, byte[]> logConnection;
  private final RedisCommands<String, byte[]> redis;
  /**
   * Writes and their WAIT, spread over a few connections: WAIT must run on the connection that
   * wrote, and blocks it meanwhile.
   */
  private final List<RedisCommands<String, byte[]>> writes = new ArrayList<>();
  /** The same connections for writes that do not block a thread: {@link #asyncWriter()}. */
  private final List<AsyncWriter> asyncWrites = new ArrayList<>();
  private final AtomicInteger nextWriter = new AtomicInteger();
  private final CircuitBreaker breaker;
  private final LuaScripts scripts;

  /**
   * Connects to the Redis of {@code config}.
   *
   * @throws StoreUnavailableException when Redis cannot be reached
   */
  RedisLink(RedisStoreConfig config, List<String> scriptNames) throws StoreUnavailableException {
    this.config = config;
    this.client = client(config);
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
      throw new StoreUnavailableException("cannot reach Redis at " + config + ": " + failure(config, e), e);
    }
    this.redis = connection.sync();
    for (StatefulRedisConnection<String, byte[]> c : writeConnections) {
      writes.add(c.sync());
      asyncWrites.add(new AsyncWriter(c.async()));
    }
    this.scripts = new LuaScripts(LuaScripts.source("common"), config.prefix());
    scriptNames.forEach(scripts::load);
  }

  /**
   * Creates a client for {@code config} that fails at once while disconnected instead of queueing
   * (the caller decides what follows) and reconnects by itself.
   */
  static RedisClient client(RedisStoreConfig config) {
    RedisClient client = RedisClient.create(config.redisUri());
    client.setOptions(config.clientOptions()
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .autoReconnect(true)
        .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout()))
        .build());
    return client;
  }

  /** Returns the configuration connected to. */
  RedisStoreConfig config() {
    return config;
  }

  /** Returns the connection for calls that must not wait behind a write's WAIT. */
  RedisCommands<String, byte[]> commands() {
    return redis;
  }

  /** Returns the connection for the blocking reads of the change log. */
  RedisCommands<String, byte[]> logCommands() {
    return logConnection.sync();
  }

  /** Picks the write connection for one write and its WAIT. */
  RedisCommands<String, byte[]> writer() {
    return writes.get(Math.floorMod(nextWriter.getAndIncrement(), writes.size()));
  }

  /** Picks the write connection for one asynchronous write and its WAIT. */
  AsyncWriter asyncWriter() {
    return asyncWrites.get(Math.floorMod(nextWriter.getAndIncrement(), asyncWrites.size()));
  }

  /** Returns the connection of {@link #commands()}, for calls that do not block a thread. */
  RedisAsyncCommands<String, byte[]> asyncCommands() {
    return connection.async();
  }

  /** Returns the breaker's state. */
  CircuitBreaker.State breakerState() {
    return breaker.getState();
  }

  /** Returns the full name of key {@code name}: {@code <prefix>:<name>}. */
  String key(String name) {
    return config.prefix() + ":" + name;
  }

  /** Runs script {@code name} on {@code on} through the breaker. */
  <T> T eval(RedisCommands<String, byte[]> on, String name, ScriptOutputType type, Object... args)
      throws StoreUnavailableException {
    return guarded(() -> scripts.eval(on, name, type, args));
  }

  /**
   * Runs script {@code name} on {@code on} through the breaker without blocking; the future fails
   * with {@link StoreUnavailableException} on a Redis failure or while the breaker is open.
   */
  <T> CompletableFuture<T> evalAsync(RedisAsyncCommands<String, byte[]> on, String name, ScriptOutputType type,
      Object... args) {
    return guardedAsync(() -> scripts.evalAsync(on, name, type, args));
  }

  /** Runs {@code call} through the breaker without blocking, failing as {@link #guarded} throws. */
  <T> CompletableFuture<T> guardedAsync(Supplier<CompletionStage<T>> call) {
    CompletableFuture<T> out = new CompletableFuture<>();
    CompletionStage<T> stage;
    try {
      stage = breaker.executeCompletionStage(call);
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedStage(e);
    }
    stage.whenComplete((r, e) -> {
      if (e == null) {
        out.complete(r);
        return;
      }
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof CallNotPermittedException) {
        out.completeExceptionally(new StoreUnavailableException("the registry store (Redis) is unreachable; writes"
            + " are refused until it returns (reads and watches continue from memory)", cause));
      } else if (cause instanceof RedisException) {
        out.completeExceptionally(new StoreUnavailableException("the registry store (Redis) failed: "
            + cause.getMessage(), cause));
      } else {
        out.completeExceptionally(cause);
      }
    });
    return out;
  }

  /**
   * Completes once the configured number of Redis replicas hold every write made so far on {@code
   * w}, as {@link #replicated} waits, without blocking a thread. Writers that finish while a WAIT
   * is out share the next one (a group commit): one WAIT per round trip to the replica per
   * connection, however many writes it covers.
   */
  CompletableFuture<Void> replicatedAsync(AsyncWriter w) {
    int want = config.minReplicas();
    if (want == 0) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    boolean start;
    synchronized (w) {
      w.waiting.add(done);
      start = !w.waitInFlight;
      w.waitInFlight = true;
    }
    if (start) {
      startWait(w, want);
    }
    return done;
  }

  private void startWait(AsyncWriter w, int want) {
    List<CompletableFuture<Void>> covered;
    synchronized (w) {
      covered = w.waiting;
      w.waiting = new ArrayList<>();
    }
    // Every write of the covered writers completed before this WAIT was sent on their connection.
    long waitMs = Math.max(1, config.commandTimeout().toMillis() / 2);
    guardedAsync(() -> w.commands.waitForReplication(want, waitMs))
        .thenCompose(got -> got >= want ? CompletableFuture.<Void>completedFuture(null)
            : guardedAsync(() -> asyncCommands().info("replication")).thenApply(info -> {
              long connected = connectedReplicas(info);
              if (got >= connected) {
                return null;
              }
              throw new CompletionException(new StoreUnavailableException("the write reached the Redis master but"
                  + " only " + got + " of " + connected + " connected replicas in time, so a failover could lose it;"
                  + " retry (Register and SetHealth are idempotent)", null));
            }))
        .whenComplete((v, e) -> {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          for (CompletableFuture<Void> f : covered) {
            if (cause == null) {
              f.complete(null);
            } else {
              f.completeExceptionally(cause);
            }
          }
          boolean again;
          synchronized (w) {
            again = !w.waiting.isEmpty();
            w.waitInFlight = again;
          }
          if (again) {
            startWait(w, want);
          }
        });
  }

  /** One write connection for asynchronous writes, with the writers waiting for its next WAIT. */
  static final class AsyncWriter {
    final RedisAsyncCommands<String, byte[]> commands;
    private List<CompletableFuture<Void>> waiting = new ArrayList<>(); // guarded by this
    private boolean waitInFlight; // guarded by this
    /** The last multi-entry batch script sent on this connection (see RedisRegistryStore.registerBatch). */
    CompletableFuture<?> batchTail = CompletableFuture.completedFuture(null); // guarded by this

    AsyncWriter(RedisAsyncCommands<String, byte[]> commands) {
      this.commands = commands;
    }
  }

  /** Runs {@code call} through the breaker, turning Redis failures into {@link StoreUnavailableException}. */
  <T> T guarded(Supplier<T> call) throws StoreUnavailableException {
    try {
      return breaker.executeSupplier(call);
    } catch (CallNotPermittedException e) {
      throw new StoreUnavailableException("the registry store (Redis) is unreachable; writes are refused until it"
          + " returns (reads and watches continue from memory)", e);
    } catch (RedisException e) {
      throw new StoreUnavailableException("the registry store (Redis) failed: " + e.getMessage(), e);
    }
  }

  /**
   * Waits until the configured number of Redis replicas hold every write made so far on write
   * connection {@code w}, so that a Sentinel failover cannot lose an acknowledged write. When fewer
   * replicas are connected (after a failover took the only one away), every connected replica must
   * hold it, and the master's append-only file is the rest of the guarantee.
   */
  void replicated(RedisCommands<String, byte[]> w) throws StoreUnavailableException {
    int want = config.minReplicas();
    if (want == 0) {
      return;
    }
    // Half the command timeout, so that WAIT answers before the client gives up on it.
    long waitMs = Math.max(1, config.commandTimeout().toMillis() / 2);
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
    return connectedReplicas(guarded(() -> redis.info("replication")));
  }

  private static long connectedReplicas(String info) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("connected_slaves:")) {
        return Long.parseLong(line.substring("connected_slaves:".length()).strip());
      }
    }
    return 0;
  }

  @Override
  public void close() {
    connection.close();
    writeConnections.forEach(StatefulRedisConnection::close);
    logConnection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  /**
   * Describes a failure to connect to {@code c}. With RESP3 (lettuce's default) a refused or
   * missing password fails the HELLO handshake, and lettuce may report only "Connection closed
   * prematurely" or "RedisHandshakeHandler not registered"; one RESP2 connection (AUTH if a password
   * is set, then PING) then tells a credentials problem from other failures.
   */
  static String failure(RedisStoreConfig c, Throwable e) {
    String first = failure(e);
    if (first.contains("Redis refused the credentials")) {
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
}
