package dev.vertice.controlplane.store.redis;

import dev.vertice.controlplane.store.StoreUnavailableException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * {@code ScriptedRedis} is one multiplexed connection to the store's Redis for the control plane's
 * small shared facts beside the registry (request stats, rollouts, leadership leases), with the
 * Lua scripts that change them atomically.
 *
 * <p>Every script gets the key prefix as {@code ARGV[1]}, also bound to the local {@code P} (one hash
 * tag: every key in one slot). A
 * Redis failure surfaces as {@link StoreUnavailableException}; nothing is retried here. Thread-safe:
 * lettuce multiplexes concurrent commands over the one connection.
 */
public final class ScriptedRedis implements AutoCloseable {

  private final RedisStoreConfig config;
  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final RedisCommands<String, byte[]> redis;
  private final LuaScripts scripts;
  private final java.util.List<StatefulRedisPubSubConnection<String, String>> subscriptions =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Connects to the Redis of {@code config}.
   *
   * @throws StoreUnavailableException when Redis cannot be reached
   */
  public ScriptedRedis(RedisStoreConfig config) throws StoreUnavailableException {
    this.config = config;
    this.scripts = new LuaScripts(LuaScripts.PREFIX_ONLY, config.prefix());
    this.client = RedisLink.client(config);
    try {
      this.connection = client.connect(RedisLink.CODEC);
    } catch (RedisException e) {
      client.shutdown();
      throw new StoreUnavailableException("cannot reach Redis at " + config + ": " + RedisLink.failure(config, e), e);
    }
    this.redis = connection.sync();
  }

  /** Returns the full name of key {@code name}: {@code <prefix>:<name>}. */
  String key(String name) {
    return config.prefix() + ":" + name;
  }

  /** Runs plain commands, turning Redis failures into {@link StoreUnavailableException}. */
  <T> T call(java.util.function.Function<RedisCommands<String, byte[]>, T> command) throws StoreUnavailableException {
    return guarded(() -> command.apply(redis));
  }

  /**
   * Runs script {@code name} (resource {@code <name>.lua} beside the store's scripts) with {@code
   * args} after the prefix; strings and numbers are sent as UTF-8 text, byte arrays as they are.
   */
  <T> T eval(String name, ScriptOutputType type, Object... args) throws StoreUnavailableException {
    return guarded(() -> scripts.eval(redis, name, type, args));
  }

  /**
   * Calls {@code onMessage} with every message published on channel {@code <prefix>:<name>} from
   * now on, on a lettuce thread, until {@link #close()}. The subscription is renewed when the
   * connection comes back; messages published meanwhile are lost.
   */
  void subscribe(String name, java.util.function.Consumer<String> onMessage) throws StoreUnavailableException {
    String channel = key(name);
    StatefulRedisPubSubConnection<String, String> c;
    try {
      c = client.connectPubSub(StringCodec.UTF8);
    } catch (RedisException e) {
      throw new StoreUnavailableException("cannot subscribe to " + channel + ": " + e.getMessage(), e);
    }
    c.addListener(new RedisPubSubAdapter<>() {
      @Override
      public void message(String ch, String message) {
        if (ch.equals(channel)) {
          onMessage.accept(message);
        }
      }
    });
    subscriptions.add(c);
    guarded(() -> {
      c.sync().subscribe(channel);
      return null;
    });
  }

  private static <T> T guarded(Supplier<T> call) throws StoreUnavailableException {
    try {
      return call.get();
    } catch (RedisException e) {
      throw new StoreUnavailableException("the shared store (Redis) failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    subscriptions.forEach(StatefulRedisPubSubConnection::close);
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  static String string(Object bytes) {
    return bytes == null ? "" : new String((byte[]) bytes, StandardCharsets.UTF_8);
  }
}
