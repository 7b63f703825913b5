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
 * Sentinels too); {@link Builder#ca} names the CA that signed the servers' certificates (else the JVM's
 * trust store). Credentials come as {@code redis://[user:]password@host} or, better (a URL is easily
 * logged), from {@link Builder#credentials}; the password authenticates to the data nodes, and
 * {@link Builder#sentinelPassword} to Sentinels that have their own {@code requirepass}.
 *
 * <p>Passwords never appear in {@link #toString()} nor in the messages of the exceptions thrown
 * here.
 *
 * <p>Immutable; built by {@link #parse} from a {@code --store} value, or by {@link #custom()} /
 * {@link #from} whose setters check each value at once and whose {@link Builder#build()} checks
 * the settings together.
 */
public final class RedisStoreConfig {

  /** The default key prefix. */
  public static final String DEFAULT_PREFIX = "{vertice}";
  /** The default address: one Redis server on this host. */
  public static final HostPort DEFAULT_HOST = new HostPort("localhost", 6379);
  /** How long one command may take by default before it counts as a failure. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);
  /** The default approximate number of changes kept in the log. */
  public static final long DEFAULT_MAX_LOG_LENGTH = 100_000;

  /** What stands for a password in messages. */
  static final String REDACTED = "***";

  /** {@code HostPort} is one address. */
  public record HostPort(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  private final List<HostPort> hosts;
  private final String sentinelMaster;
  private final int database;
  private final String prefix;
  private final Duration commandTimeout;
  private final long maxLogLength;
  private final int minReplicas;
  private final String username;
  private final String password;
  private final String sentinelPassword;
  private final boolean tls;
  private final Path caFile;

  private RedisStoreConfig(Builder b) {
    this.hosts = List.copyOf(b.hosts);
    this.sentinelMaster = b.sentinelMaster;
    this.database = b.database;
    this.prefix = b.prefix;
    this.commandTimeout = b.commandTimeout;
    this.maxLogLength = b.maxLogLength;
    this.minReplicas = b.minReplicas;
    this.username = b.username;
    this.password = b.password;
    this.sentinelPassword = b.sentinelPassword;
    this.tls = b.tls;
    this.caFile = b.caFile;
  }

  /** Returns the defaults: one Redis server at {@link #DEFAULT_HOST}, database 0, no TLS. */
  public static RedisStoreConfig ofDefaults() {
    return custom().build();
  }

  /** Returns a builder that starts from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** Returns a builder that starts from {@code base}. */
  public static Builder from(RedisStoreConfig base) {
    return new Builder(base);
  }

  /** Returns one Redis server, or the Sentinels. */
  public List<HostPort> hosts() {
    return hosts;
  }

  /** Returns the master's name when {@link #hosts()} are Sentinels, else null. */
  public String sentinelMaster() {
    return sentinelMaster;
  }

  /** Returns the Redis database number. */
  public int database() {
    return database;
  }

  /** Returns the key prefix, a hash tag such as {@code {vertice}} so that every key shares one slot. */
  public String prefix() {
    return prefix;
  }

  /** Returns how long one command may take before it counts as a failure. */
  public Duration commandTimeout() {
    return commandTimeout;
  }

  /** Returns the approximate number of changes kept in the log; a replica further behind reloads a snapshot. */
  public long maxLogLength() {
    return maxLogLength;
  }

  /**
   * Returns how many Redis replicas must hold a write before it is acknowledged (Redis WAIT): 1 with
   * Sentinel, so that a failover loses no acknowledged write; 0 for a single server.
   */
  public int minReplicas() {
    return minReplicas;
  }

  /** Returns the Redis ACL user, or null for the default user. */
  public String username() {
    return username;
  }

  /** Returns the password of the data nodes, or null for none. */
  public String password() {
    return password;
  }

  /** Returns the Sentinels' own password, or null for none. */
  public String sentinelPassword() {
    return sentinelPassword;
  }

  /** Returns whether every connection (data nodes and Sentinels) uses TLS. */
  public boolean tls() {
    return tls;
  }

  /** Returns the PEM file of the CA that signed the Redis certificates, or null for the JVM's trust store. */
  public Path caFile() {
    return caFile;
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
    Builder b = custom().hosts(hosts).sentinelMaster(master).database(db).minReplicas(sentinel ? 1 : 0).tls(tls);
    if (password != null) {
      b.credentials(username, password);
    }
    return b.build();
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

  /** {@code Builder} sets up a {@link RedisStoreConfig}; each setter checks its value at once. */
  public static final class Builder {
    private List<HostPort> hosts = List.of(DEFAULT_HOST);
    private String sentinelMaster;
    private int database;
    private String prefix = DEFAULT_PREFIX;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private long maxLogLength = DEFAULT_MAX_LOG_LENGTH;
    private int minReplicas;
    private String username;
    private String password;
    private String sentinelPassword;
    private boolean tls;
    private Path caFile;

    private Builder() {}

    private Builder(RedisStoreConfig base) {
      this.hosts = base.hosts;
      this.sentinelMaster = base.sentinelMaster;
      this.database = base.database;
      this.prefix = base.prefix;
      this.commandTimeout = base.commandTimeout;
      this.maxLogLength = base.maxLogLength;
      this.minReplicas = base.minReplicas;
      this.username = base.username;
      this.password = base.password;
      this.sentinelPassword = base.sentinelPassword;
      this.tls = base.tls;
      this.caFile = base.caFile;
    }

    /** One Redis server, or the Sentinels (with {@link #sentinelMaster}); default {@link #DEFAULT_HOST}. */
    public Builder hosts(List<HostPort> v) {
      if (v == null || v.isEmpty()) {
        throw new IllegalArgumentException("no Redis address");
      }
      this.hosts = List.copyOf(v);
      return this;
    }

    /** The master's name when the hosts are Sentinels; null (the default) for one Redis server. */
    public Builder sentinelMaster(String v) {
      this.sentinelMaster = v;
      return this;
    }

    /** The Redis database number; default 0. */
    public Builder database(int v) {
      if (v < 0) {
        throw new IllegalArgumentException("the Redis database must not be negative: " + v);
      }
      this.database = v;
      return this;
    }

    /** The key prefix (tests isolate themselves with one); default {@link #DEFAULT_PREFIX}. */
    public Builder prefix(String v) {
      if (v == null || v.isEmpty()) {
        throw new IllegalArgumentException("the Redis key prefix is empty: '" + v + "'");
      }
      this.prefix = v;
      return this;
    }

    /** How long one command may take; default {@link #DEFAULT_COMMAND_TIMEOUT}. */
    public Builder commandTimeout(Duration v) {
      if (v == null || v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException("the Redis command timeout must be positive: " + v);
      }
      this.commandTimeout = v;
      return this;
    }

    /** Approximate number of changes kept in the log; default {@link #DEFAULT_MAX_LOG_LENGTH}. */
    public Builder maxLogLength(long v) {
      if (v <= 0) {
        throw new IllegalArgumentException("the Redis change-log length must be positive: " + v);
      }
      this.maxLogLength = v;
      return this;
    }

    /** Redis replicas that must hold a write before it is acknowledged; default 0. */
    public Builder minReplicas(int v) {
      if (v < 0) {
        throw new IllegalArgumentException("the number of Redis replicas to wait for must not be negative: " + v);
      }
      this.minReplicas = v;
      return this;
    }

    /**
     * Authenticates as {@code user} (null or empty: the default user) with {@code pass}.
     *
     * @throws IllegalArgumentException when {@code pass} is empty
     */
    public Builder credentials(String user, String pass) {
      if (pass == null || pass.isEmpty()) {
        throw new IllegalArgumentException("the Redis password is empty");
      }
      this.username = user == null || user.isEmpty() ? null : user;
      this.password = pass;
      return this;
    }

    /**
     * Authenticates to the Sentinels with {@code pass} (only with {@link #sentinelMaster}).
     *
     * @throws IllegalArgumentException when {@code pass} is empty
     */
    public Builder sentinelPassword(String pass) {
      if (pass == null || pass.isEmpty()) {
        throw new IllegalArgumentException("the Sentinel password is empty");
      }
      this.sentinelPassword = pass;
      return this;
    }

    /** Whether every connection (data nodes and Sentinels) uses TLS; default false. */
    public Builder tls(boolean v) {
      this.tls = v;
      return this;
    }

    /**
     * Trusts the CA of PEM file {@code ca} (only with TLS) instead of the JVM's trust store.
     *
     * @throws IllegalArgumentException when the file cannot be read
     */
    public Builder ca(Path ca) {
      if (ca != null && !Files.isReadable(ca)) {
        throw new IllegalArgumentException("cannot read the CA file " + ca);
      }
      this.caFile = ca;
      return this;
    }

    /**
     * Returns the configuration.
     *
     * @throws IllegalArgumentException when settings contradict each other (a CA file without TLS, a
     *     Sentinel password without Sentinels); the message never shows a password
     */
    public RedisStoreConfig build() {
      RedisStoreConfig c = new RedisStoreConfig(this);
      if (c.caFile != null && !c.tls) {
        throw new IllegalArgumentException("a CA file (" + c.caFile + ") is only used with TLS: use rediss:// or"
            + " rediss-sentinel://, not " + c);
      }
      if (c.sentinelPassword != null && c.sentinelMaster == null) {
        throw new IllegalArgumentException("a Sentinel password needs a redis-sentinel:// address, not " + c);
      }
      return c;
    }
  }
}
