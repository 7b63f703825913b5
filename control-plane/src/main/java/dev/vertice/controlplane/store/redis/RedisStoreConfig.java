package dev.vertice.controlplane.store.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code RedisStoreConfig} says where the shared store is and how to use it.
 *
 * <p>Addresses: {@code redis://host:port/db} for one Redis server, or {@code
 * redis-sentinel://host:port,host:port/mastername} for a Sentinel-monitored master (writes follow
 * the master through failovers). {@code rediss://} and {@code rediss-sentinel://} use TLS (to the
 * Sentinels too); {@link #withCa} names the CA that signed the servers' certificates (else the JVM's
 * trust store). Credentials come as {@code redis://[user:]password@host} or, better (a URL is easily
 * logged), from {@link #withCredentials}; the password authenticates to the data nodes, and {@link
 * #withSentinelPassword} to Sentinels that have their own {@code requirepass}.
 *
 * <p>Passwords never appear in {@link #toString()} nor in the messages of the exceptions thrown
 * here.
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
 * @param username the Redis ACL user, or null for the default user
 * @param password the password of the data nodes, or null for none
 * @param sentinelPassword the Sentinels' own password, or null for none
 * @param tls whether every connection (data nodes and Sentinels) uses TLS
 * @param caFile PEM file of the CA that signed the Redis certificates, or null for the JVM's trust
 *     store; only with {@code tls}
 */
public record RedisStoreConfig(
    List<HostPort> hosts, String sentinelMaster, int database, String prefix, Duration commandTimeout,
    long maxLogLength, int minReplicas, String username, String password, String sentinelPassword, boolean tls,
    Path caFile) {

  /** The default key prefix. */
  public static final String DEFAULT_PREFIX = "{vertice}";

  /** What stands for a password in messages. */
  static final String REDACTED = "***";

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
    if (caFile != null && !tls) {
      throw new IllegalArgumentException("a CA file (" + caFile + ") is only used with TLS: rediss:// or"
          + " rediss-sentinel://");
    }
  }

  /**
   * Parses a {@code --store} value.
   *
   * @throws IllegalArgumentException with a message quoting the value (its password replaced by
   *     {@code ***}) when it is not a Redis address
   */
  public static RedisStoreConfig parse(String value) {
    String v = value.strip();
    String scheme = v.contains("://") ? v.substring(0, v.indexOf("://")) : "";
    String shown = redact(v);
    boolean sentinel;
    boolean tls;
    switch (scheme) {
      case "redis" -> { sentinel = false; tls = false; }
      case "rediss" -> { sentinel = false; tls = true; }
      case "redis-sentinel" -> { sentinel = true; tls = false; }
      case "rediss-sentinel" -> { sentinel = true; tls = true; }
      default -> throw new IllegalArgumentException("'" + shown + "' is not redis://host:port/db,"
          + " redis-sentinel://host:port,host:port/mastername, or their TLS forms rediss:// and"
          + " rediss-sentinel://");
    }
    String rest = v.substring(v.indexOf("://") + 3);
    String username = null;
    String password = null;
    // The credentials end at the last '@' (a password may hold '/' or '@'; hosts and paths hold neither).
    int at = rest.lastIndexOf('@');
    String userInfo = at < 0 ? null : rest.substring(0, at);
    rest = rest.substring(at + 1);
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash + 1);
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      String user = colon < 0 ? "" : decode(shown, userInfo.substring(0, colon));
      password = decode(shown, colon < 0 ? userInfo : userInfo.substring(colon + 1));
      username = user.isEmpty() ? null : user;
      if (password.isEmpty()) {
        throw new IllegalArgumentException("'" + shown + "' has an empty password");
      }
    }
    List<HostPort> hosts = new ArrayList<>();
    for (String hp : authority.split(",")) {
      hosts.add(hostPort(shown, hp, sentinel ? 26379 : 6379));
    }
    int db = 0;
    String master = null;
    if (sentinel) {
      if (path.isEmpty()) {
        throw new IllegalArgumentException("'" + shown + "' names no master: redis-sentinel://host:port/mastername");
      }
      master = path;
    } else if (!path.isEmpty()) {
      try {
        db = Integer.parseInt(path);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + shown + "': the database must be a number, not '" + path + "'");
      }
      if (db < 0) {
        throw new IllegalArgumentException("'" + shown + "': the database must not be negative");
      }
    }
    return new RedisStoreConfig(hosts, master, db, DEFAULT_PREFIX, Duration.ofSeconds(2), 100_000,
        sentinel ? 1 : 0, username, password, null, tls, null);
  }

  /**
   * Returns {@code value} with the password of a {@code scheme://user:password@host} address
   * replaced by {@code ***}: the form to quote in messages.
   */
  public static String redact(String value) {
    int scheme = value.indexOf("://");
    if (scheme < 0) {
      return value;
    }
    int start = scheme + 3;
    int at = value.lastIndexOf('@');
    if (at < start) {
      return value;
    }
    String userInfo = value.substring(start, at);
    int colon = userInfo.indexOf(':');
    String user = colon < 0 ? "" : userInfo.substring(0, colon) + ":";
    return value.substring(0, start) + user + REDACTED + value.substring(at);
  }

  /** Returns a copy with another key prefix (tests isolate themselves with one). */
  public RedisStoreConfig withPrefix(String p) {
    return new RedisStoreConfig(hosts, sentinelMaster, database, p, commandTimeout, maxLogLength, minReplicas,
        username, password, sentinelPassword, tls, caFile);
  }

  /** Returns a copy with another log length bound. */
  public RedisStoreConfig withMaxLogLength(long n) {
    return new RedisStoreConfig(hosts, sentinelMaster, database, prefix, commandTimeout, n, minReplicas,
        username, password, sentinelPassword, tls, caFile);
  }

  /**
   * Returns a copy that authenticates as {@code user} (null: the default user) with {@code pass}.
   *
   * @throws IllegalArgumentException when {@code pass} is empty
   */
  public RedisStoreConfig withCredentials(String user, String pass) {
    if (pass == null || pass.isEmpty()) {
      throw new IllegalArgumentException("the Redis password is empty");
    }
    return new RedisStoreConfig(hosts, sentinelMaster, database, prefix, commandTimeout, maxLogLength, minReplicas,
        user == null || user.isEmpty() ? null : user, pass, sentinelPassword, tls, caFile);
  }

  /**
   * Returns a copy that authenticates to the Sentinels with {@code pass}.
   *
   * @throws IllegalArgumentException when this is no Sentinel address or {@code pass} is empty
   */
  public RedisStoreConfig withSentinelPassword(String pass) {
    if (sentinelMaster == null) {
      throw new IllegalArgumentException("a Sentinel password needs a redis-sentinel:// address, not " + this);
    }
    if (pass == null || pass.isEmpty()) {
      throw new IllegalArgumentException("the Sentinel password is empty");
    }
    return new RedisStoreConfig(hosts, sentinelMaster, database, prefix, commandTimeout, maxLogLength, minReplicas,
        username, password, pass, tls, caFile);
  }

  /**
   * Returns a copy that trusts the CA certificates in PEM file {@code ca} for TLS.
   *
   * @throws IllegalArgumentException when the address is not a TLS one or the file is not readable
   */
  public RedisStoreConfig withCa(Path ca) {
    if (!tls) {
      throw new IllegalArgumentException("a CA file is only used with TLS: use rediss:// or rediss-sentinel://,"
          + " not " + this);
    }
    if (!Files.isReadable(ca)) {
      throw new IllegalArgumentException("cannot read the CA file " + ca);
    }
    return new RedisStoreConfig(hosts, sentinelMaster, database, prefix, commandTimeout, maxLogLength, minReplicas,
        username, password, sentinelPassword, tls, ca);
  }

  /** Returns the lettuce address of this configuration, credentials and TLS included. */
  public RedisURI redisUri() {
    RedisURI.Builder b;
    if (sentinelMaster == null) {
      b = RedisURI.Builder.redis(hosts.get(0).host(), hosts.get(0).port());
    } else {
      b = RedisURI.builder().withSentinelMasterId(sentinelMaster);
      for (HostPort hp : hosts) {
        RedisURI.Builder s = RedisURI.builder().withHost(hp.host()).withPort(hp.port());
        if (sentinelPassword != null) {
          s.withPassword(sentinelPassword.toCharArray());
        }
        b.withSentinel(s.build());
      }
    }
    if (password != null) {
      if (username != null) {
        b.withAuthentication(username, password.toCharArray());
      } else {
        b.withPassword(password.toCharArray());
      }
    }
    // Applies to the Sentinels already added as well.
    b.withSsl(tls);
    return b.withDatabase(database).withTimeout(commandTimeout).build();
  }

  /**
   * Returns client options with this configuration's TLS settings; callers add their own
   * (reconnect, timeouts) before {@code build()}.
   */
  public ClientOptions.Builder clientOptions() {
    ClientOptions.Builder b = ClientOptions.builder();
    if (tls) {
      SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider().handshakeTimeout(commandTimeout);
      if (caFile != null) {
        ssl.trustManager(caFile.toFile());
      }
      b.sslOptions(ssl.build());
    }
    return b;
  }

  private static String decode(String shown, String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + shown + "': the user or password is not valid percent-encoding");
    }
  }

  private static HostPort hostPort(String shown, String hp, int defaultPort) {
    try {
      URI uri = new URI("redis://" + hp.strip());
      if (uri.getHost() == null || uri.getUserInfo() != null) {
        throw new IllegalArgumentException("'" + shown + "': '" + hp + "' is not host:port");
      }
      return new HostPort(uri.getHost(), uri.getPort() < 0 ? defaultPort : uri.getPort());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("'" + shown + "': '" + hp + "' is not host:port");
    }
  }

  /** Returns the address without secrets: whether a password is set, never which. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    if (sentinelMaster == null) {
      s.append(tls ? "rediss://" : "redis://").append(hosts.get(0)).append('/').append(database);
    } else {
      s.append(tls ? "rediss-sentinel://" : "redis-sentinel://")
          .append(String.join(",", hosts.stream().map(HostPort::toString).toList())).append('/').append(sentinelMaster);
    }
    List<String> notes = new ArrayList<>();
    if (username != null) {
      notes.add("user " + username);
    }
    if (password != null) {
      notes.add("password " + REDACTED);
    }
    if (sentinelPassword != null) {
      notes.add("sentinel password " + REDACTED);
    }
    if (caFile != null) {
      notes.add("ca " + caFile);
    }
    if (!notes.isEmpty()) {
      s.append(" (").append(String.join(", ", notes)).append(')');
    }
    return s.toString();
  }
}
