package dev.vertice.controlplane.store.redis;

import dev.vertice.controlplane.store.StoreUnavailableException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
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

  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  private final RedisStoreConfig config;
  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final RedisCommands<String, byte[]> redis;
  private final Map<String, Script> scripts = new HashMap<>();
  private final java.util.List<StatefulRedisPubSubConnection<String, String>> subscriptions =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final byte[] prefix;

  /**
   * Connects to the Redis of {@code config}.
   *
   * @throws StoreUnavailableException when Redis cannot be reached
   */
  public ScriptedRedis(RedisStoreConfig config) throws StoreUnavailableException {
    this.config = config;
    this.prefix = config.prefix().getBytes(StandardCharsets.UTF_8);
    this.client = RedisClient.create(config.redisUri());
    client.setOptions(config.clientOptions()
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .autoReconnect(true)
        .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout()))
        .build());
    try {
      this.connection = client.connect(CODEC);
    } catch (RedisException e) {
      client.shutdown();
      throw new StoreUnavailableException("cannot reach Redis at " + config + ": " + RedisStore.failure(config, e), e);
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
    Script script;
    synchronized (scripts) {
      script = scripts.computeIfAbsent(name, n -> new Script("local P = ARGV[1]\n" + load(n)));
    }
    byte[][] values = new byte[args.length + 1][];
    values[0] = prefix;
    for (int i = 0; i < args.length; i++) {
      values[i + 1] = args[i] instanceof byte[] b ? b : String.valueOf(args[i]).getBytes(StandardCharsets.UTF_8);
    }
    return guarded(() -> {
      try {
        return redis.evalsha(script.sha, type, new String[0], values);
      } catch (RedisNoScriptException e) {
        // A restarted or newly promoted Redis has an empty script cache.
        return redis.eval(script.source, type, new String[0], values);
      }
    });
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

  private static String load(String name) {
    String path = "/dev/vertice/controlplane/store/redis/" + name + ".lua";
    try (InputStream in = ScriptedRedis.class.getResourceAsStream(path)) {
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
