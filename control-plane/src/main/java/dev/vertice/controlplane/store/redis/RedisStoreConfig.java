package dev.vertice.controlplane.store.redis;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code RedisStoreConfig} says where the shared store is and how to use it.
 *
 * <p>Addresses: {@code redis://host:port/db} for one Redis server, or {@code
 * redis-sentinel://host:port,host:port/mastername} for a Sentinel-monitored master (writes follow
 * the master through failovers).
 *
 * @param hosts one Redis server, or the Sentinels
 * @param sentinelMaster the master's name when {@code hosts} are Sentinels, else null
 * @param database the Redis database number
 * @param prefix the key prefix, a hash tag such as {@code {vertice}} so that every key shares one
 *     slot
 * @param commandTimeout how long one command may take before it counts as a failure
 * @param maxLogLength approximate number of changes kept in the log; a replica further behind
 *     reloads a snapshot
 * @param minReplicas Redis replicas that must hold a write before it is acknowledged (Redis WAIT):
 *     1 with Sentinel, so that a failover loses no acknowledged write; 0 for a single server
 */
public record RedisStoreConfig(
    List<HostPort> hosts, String sentinelMaster, int database, String prefix, Duration commandTimeout,
    long maxLogLength, int minReplicas) {

  /** The default key prefix. */
  public static final String DEFAULT_PREFIX = "{vertice}";

  /** {@code HostPort} is one address. */
  public record HostPort(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  public RedisStoreConfig {
    hosts = List.copyOf(hosts);
    Objects.requireNonNull(prefix, "prefix");
    if (hosts.isEmpty()) {
      throw new IllegalArgumentException("no Redis address");
    }
  }

  /**
   * Parses a {@code --store} value.
   *
   * @throws IllegalArgumentException with a message quoting the value when it is not a Redis
   *     address
   */
  public static RedisStoreConfig parse(String value) {
    String v = value.strip();
    boolean sentinel = v.startsWith("redis-sentinel://");
    if (!sentinel && !v.startsWith("redis://")) {
      throw new IllegalArgumentException("'" + value + "' is not redis://host:port/db or"
          + " redis-sentinel://host:port,host:port/mastername");
    }
    String rest = v.substring(v.indexOf("://") + 3);
    int slash = rest.indexOf('/');
    String hostList = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash + 1);
    List<HostPort> hosts = new ArrayList<>();
    for (String hp : hostList.split(",")) {
      hosts.add(hostPort(value, hp, sentinel ? 26379 : 6379));
    }
    int db = 0;
    String master = null;
    if (sentinel) {
      if (path.isEmpty()) {
        throw new IllegalArgumentException("'" + value + "' names no master: redis-sentinel://host:port/mastername");
      }
      master = path;
    } else if (!path.isEmpty()) {
      try {
        db = Integer.parseInt(path);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + value + "': the database must be a number, not '" + path + "'");
      }
    }
    return new RedisStoreConfig(hosts, master, db, DEFAULT_PREFIX, Duration.ofSeconds(2), 100_000,
        sentinel ? 1 : 0);
  }

  /** Returns a copy with another key prefix (tests isolate themselves with one). */
  public RedisStoreConfig withPrefix(String p) {
    return new RedisStoreConfig(hosts, sentinelMaster, database, p, commandTimeout, maxLogLength, minReplicas);
  }

  /** Returns a copy with another log length bound. */
  public RedisStoreConfig withMaxLogLength(long n) {
    return new RedisStoreConfig(hosts, sentinelMaster, database, prefix, commandTimeout, n, minReplicas);
  }

  private static HostPort hostPort(String value, String hp, int defaultPort) {
    try {
      URI uri = new URI("redis://" + hp.strip());
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("'" + value + "': '" + hp + "' is not host:port");
      }
      return new HostPort(uri.getHost(), uri.getPort() < 0 ? defaultPort : uri.getPort());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("'" + value + "': '" + hp + "' is not host:port");
    }
  }

  @Override
  public String toString() {
    return sentinelMaster == null
        ? "redis://" + hosts.get(0) + "/" + database
        : "redis-sentinel://" + String.join(",", hosts.stream().map(HostPort::toString).toList()) + "/"
            + sentinelMaster;
  }
}
