package dev.vertice.controlplane.store.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code LuaScripts} loads the store's Lua scripts (resources {@code <name>.lua} beside this class)
 * and runs them by SHA-1 with EVALSHA, sending the source with EVAL when Redis does not know it (a
 * restarted or newly promoted Redis has an empty script cache).
 *
 * <p>Every script is run with the key prefix as {@code ARGV[1]}, then its arguments: strings and
 * numbers as UTF-8 text, byte arrays as they are. Each script is prefixed with a shared preamble
 * (the registry's {@code common.lua}, or one line binding the prefix). Thread-safe; Redis failures
 * are thrown as lettuce's exceptions, for the caller's breaker or translation.
 */
final class LuaScripts {

  /** The preamble of the small scripts: binds the prefix to the local {@code P}. */
  static final String PREFIX_ONLY = "local P = ARGV[1]";

  private final String preamble;
  private final byte[] prefix;
  private final ConcurrentHashMap<String, Script> scripts = new ConcurrentHashMap<>();

  /** Creates the scripts of key prefix {@code prefix}, each preceded by {@code preamble}. */
  LuaScripts(String preamble, String prefix) {
    this.preamble = preamble;
    this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
  }

  /** Returns the text of resource {@code <name>.lua}. */
  static String source(String name) {
    String path = "/dev/vertice/controlplane/store/redis/" + name + ".lua";
    try (InputStream in = LuaScripts.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing script " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path, e);
    }
  }

  /** Loads script {@code name} now, so that a missing one fails at start rather than at first use. */
  void load(String name) {
    script(name);
  }

  /** Runs script {@code name} on {@code on} with {@code args} after the prefix. */
  <T> T eval(RedisCommands<String, byte[]> on, String name, ScriptOutputType type, Object... args) {
    Script script = script(name);
    byte[][] values = values(args);
    try {
      return on.evalsha(script.sha, type, new String[0], values);
    } catch (RedisNoScriptException e) {
      return on.eval(script.source, type, new String[0], values);
    }
  }

  /**
   * Runs script {@code name} on {@code on} without blocking, with {@code args} after the prefix; the
   * stage fails with lettuce's exception (unwrapped) on a Redis failure.
   */
  <T> java.util.concurrent.CompletionStage<T> evalAsync(RedisAsyncCommands<String, byte[]> on, String name,
      ScriptOutputType type, Object... args) {
    Script script = script(name);
    byte[][] values = values(args);
    java.util.concurrent.CompletionStage<T> first = on.evalsha(script.sha, type, new String[0], values);
    return first.handle((r, e) -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RedisNoScriptException) {
        java.util.concurrent.CompletionStage<T> again = on.eval(script.source, type, new String[0], values);
        return again;
      }
      return e == null ? java.util.concurrent.CompletableFuture.completedStage(r)
          : java.util.concurrent.CompletableFuture.<T>failedStage(cause);
    }).thenCompose(java.util.function.Function.identity());
  }

  private byte[][] values(Object... args) {
    byte[][] values = new byte[args.length + 1][];
    values[0] = prefix;
    for (int i = 0; i < args.length; i++) {
      values[i + 1] = args[i] instanceof byte[] b ? b : String.valueOf(args[i]).getBytes(StandardCharsets.UTF_8);
    }
    return values;
  }

  private Script script(String name) {
    return scripts.computeIfAbsent(name, n -> new Script(preamble + "\n" + source(n)));
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
