package dev.vertice.gateway.health.internal;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code RedisLayer} is the shared layer 2: one stored value per service with a time to live, read
 * together with its remaining lifetime (one Lua script, so value and lifetime belong together), so
 * that every gateway can tell how old the answer is without comparing wall clocks.
 *
 * <p>Every command is bounded by the configured timeout; a failure or timeout reads as a miss and a
 * failed write is dropped (the layer is a cache). The connection is opened lazily and reopened after
 * a failed attempt, at most once a second. Thread-safe.
 */
public final class RedisLayer implements AutoCloseable {

  private static final Logger log = Logger.getLogger(RedisLayer.class.getName());
  private static final String READ = "local v = redis.call('GET', KEYS[1]) "
      + "if not v then return nil end "
      + "return {v, redis.call('PTTL', KEYS[1])}";
  private static final long RETRY_NANOS = 1_000_000_000L;

  /** A stored value and its remaining lifetime. */
  public record Stored(String value, Duration remaining) {}

  private final RedisClient client;
  private final RedisURI uri;
  private final String prefix;
  private final AtomicReference<Attempt> connection = new AtomicReference<>();
  private final Runnable onError;

  private record Attempt(CompletableFuture<StatefulRedisConnection<String, String>> future, long startedNanos) {}

  /**
   * {@code RedisLayer} uses the Redis at {@code uri}, keys {@code prefix + name}, and runs {@code
   * onError} (it must not block) for every failed or timed-out command.
   */
  public RedisLayer(URI uri, Duration timeout, String prefix, Runnable onError) {
    this.onError = onError;
    this.uri = RedisURI.create(uri);
    this.uri.setTimeout(timeout);
    this.prefix = prefix;
    this.client = RedisClient.create();
    client.setOptions(ClientOptions.builder().timeoutOptions(TimeoutOptions.enabled(timeout))
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
  }

  /** {@code read} returns the value stored for {@code name} and its remaining lifetime, or empty. */
  public CompletableFuture<Optional<Stored>> read(String name) {
    return connection().thenCompose(c -> c.async()
        .<List<Object>>eval(READ, ScriptOutputType.MULTI, prefix + name).toCompletableFuture())
        .handle((r, e) -> {
          if (e != null) {
            onError.run();
            log.log(Level.FINE, "health layer 2 read of " + name + " failed; counts as a miss", e);
            return Optional.empty();
          }
          if (r == null || r.size() != 2 || !(r.get(0) instanceof String v) || !(r.get(1) instanceof Long ms)
              || ms < 0) {
            return Optional.empty();
          }
          return Optional.of(new Stored(v, Duration.ofMillis(ms)));
        });
  }

  /** {@code write} stores {@code value} for {@code name} for {@code ttl}; completes when Redis answered or failed. */
  public CompletableFuture<Boolean> write(String name, String value, Duration ttl) {
    return connection().thenCompose(c -> c.async().set(prefix + name, value, SetArgs.Builder.px(ttl.toMillis()))
        .toCompletableFuture()).handle((r, e) -> {
          if (e != null) {
            onError.run();
            log.log(Level.FINE, "health layer 2 write of " + name + " failed; dropped", e);
            return false;
          }
          return "OK".equals(r);
        });
  }

  private CompletableFuture<StatefulRedisConnection<String, String>> connection() {
    while (true) {
      Attempt a = connection.get();
      boolean failed = a != null && a.future.isCompletedExceptionally();
      if (a != null && !(failed && System.nanoTime() - a.startedNanos > RETRY_NANOS)) {
        return a.future;
      }
      CompletableFuture<StatefulRedisConnection<String, String>> f = new CompletableFuture<>();
      Attempt next = new Attempt(f, System.nanoTime());
      if (connection.compareAndSet(a, next)) {
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((c, e) -> {
          if (e != null) {
            f.completeExceptionally(e);
          } else {
            f.complete(c);
          }
        });
        return f;
      }
    }
  }

  @Override
  public void close() {
    Attempt a = connection.get();
    if (a != null && a.future.isDone() && !a.future.isCompletedExceptionally()) {
      a.future.join().close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
