package dev.vertice.bench;

import dev.vertice.controlplane.store.redis.RedisStoreConfig;
import java.security.SecureRandom;
import java.util.HexFormat;
import picocli.CommandLine;

/**
 * {@code BenchStore} is a bench's {@code --store} value: the embedded in-memory store, or a Redis
 * shared by the bench's replicas.
 *
 * @param redis the Redis address, or null for the in-memory store
 */
record BenchStore(RedisStoreConfig redis) {

  /** The in-memory store, the default. */
  static final BenchStore MEMORY = new BenchStore(null);

  /** The {@code --store} option's description, shared by the benches that take it. */
  static final String DESCRIPTION = "Where the control plane keeps the registry: memory, or redis://host:port/db"
      + " (or redis-sentinel://host:port,host:port/mastername); each run uses keys of its own there and deletes"
      + " them after. Default: ${DEFAULT-VALUE}.";

  /**
   * Parses {@code value} as the option of {@code spec}'s command.
   *
   * @throws CommandLine.ParameterException naming {@code --store}, so that the command exits with
   *     code 2
   */
  static BenchStore parse(CommandLine.Model.CommandSpec spec, String value) {
    if (value.strip().equals("memory")) {
      return MEMORY;
    }
    try {
      return new BenchStore(RedisStoreConfig.parse(value));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "invalid --store: " + e.getMessage()
          + " (or memory)");
    }
  }

  /** Returns "memory" or "redis", as the reports name the store. */
  String kind() {
    return redis == null ? "memory" : "redis";
  }

  boolean shared() {
    return redis != null;
  }

  /**
   * Returns the Redis address with a key prefix no other run uses, so that runs never see each
   * other's registrations.
   */
  RedisStoreConfig isolatedRedis() {
    byte[] b = new byte[6];
    new SecureRandom().nextBytes(b);
    // One hash tag, like the default prefix: every key of the run in one slot.
    return RedisStoreConfig.from(redis).prefix("{vbench-" + HexFormat.of().formatHex(b) + "}").build();
  }
}
