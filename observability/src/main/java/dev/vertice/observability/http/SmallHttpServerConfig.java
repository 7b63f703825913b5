package dev.vertice.observability.http;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code SmallHttpServerConfig} holds the limits of a {@link SmallHttpServer}: its threads, how many
 * connections it keeps, how large and how slow a request may be, and how long an idle connection
 * stays open. Immutable and thread-safe; take {@link #ofDefaults()}, or start a builder from the
 * defaults with {@link #custom()} or from another config with {@link #from(SmallHttpServerConfig)}.
 * Every setter rejects an impossible value at once with an {@link IllegalArgumentException} naming
 * the setting and quoting the value.
 *
 * <p>What happens at each limit: a request line longer than {@link #maxInitialLineBytes()} gets 414,
 * a header block larger than {@link #maxHeaderBytes()} 431, a body larger than {@link
 * #maxBodyBytes()} 413; a request not complete {@link #requestTimeout()} after its first byte gets
 * 408; a connection beyond {@link #maxConnections()} gets 503. Each of those answers has a JSON
 * body and closes the connection. A connection with no request for {@link #idleTimeout()} is
 * closed.
 */
public final class SmallHttpServerConfig {

  /** Default name, the prefix of the event-loop threads' names: {@code http}. */
  public static final String DEFAULT_NAME = "http";
  /** Default number of event-loop threads: 1 (they never block: handlers that may block are offloaded). */
  public static final int DEFAULT_EVENT_LOOP_THREADS = 1;
  /** Most event-loop threads allowed: 16. */
  public static final int MAX_EVENT_LOOP_THREADS = 16;
  /** Default cap on open connections: 256 (the next one gets 503 and is closed). */
  public static final int DEFAULT_MAX_CONNECTIONS = 256;
  /** Default longest request line: 4096 bytes (414 beyond). */
  public static final int DEFAULT_MAX_INITIAL_LINE_BYTES = 4096;
  /** Default largest header block: 8192 bytes (431 beyond). */
  public static final int DEFAULT_MAX_HEADER_BYTES = 8192;
  /** Default largest request body: 64 KiB (413 beyond). */
  public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
  /** Default time allowed from a request's first byte to its last (TLS handshake included): 10 s (408 beyond). */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  /** Default time a connection may stay open with no request in progress: 60 s. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

  private final String name;
  private final int eventLoopThreads;
  private final int maxConnections;
  private final int maxInitialLineBytes;
  private final int maxHeaderBytes;
  private final int maxBodyBytes;
  private final Duration requestTimeout;
  private final Duration idleTimeout;

  private SmallHttpServerConfig(Builder b) {
    this.name = b.name;
    this.eventLoopThreads = b.eventLoopThreads;
    this.maxConnections = b.maxConnections;
    this.maxInitialLineBytes = b.maxInitialLineBytes;
    this.maxHeaderBytes = b.maxHeaderBytes;
    this.maxBodyBytes = b.maxBodyBytes;
    this.requestTimeout = b.requestTimeout;
    this.idleTimeout = b.idleTimeout;
  }

  /** {@code ofDefaults} returns the defaults (the {@code DEFAULT_*} values). */
  public static SmallHttpServerConfig ofDefaults() {
    return custom().build();
  }

  /** {@code custom} returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** {@code from} returns a builder starting from {@code base}. */
  public static Builder from(SmallHttpServerConfig base) {
    return new Builder(Objects.requireNonNull(base, "base"));
  }

  /** {@code name} is the prefix of the event-loop threads' names ({@code name-1}, ...). */
  public String name() {
    return name;
  }

  /** {@code eventLoopThreads} is the number of event-loop threads a server owns (when none are shared). */
  public int eventLoopThreads() {
    return eventLoopThreads;
  }

  /** {@code maxConnections} is the most connections open at once; the next one gets 503 and is closed. */
  public int maxConnections() {
    return maxConnections;
  }

  /** {@code maxInitialLineBytes} is the longest request line accepted (414 beyond). */
  public int maxInitialLineBytes() {
    return maxInitialLineBytes;
  }

  /** {@code maxHeaderBytes} is the largest header block accepted (431 beyond). */
  public int maxHeaderBytes() {
    return maxHeaderBytes;
  }

  /** {@code maxBodyBytes} is the largest request body accepted (413 beyond); bodies are held in memory. */
  public int maxBodyBytes() {
    return maxBodyBytes;
  }

  /** {@code requestTimeout} is the time allowed from a request's first byte to its last (408 and close beyond). */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** {@code idleTimeout} is the time a connection may stay open with no request in progress. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  @Override
  public String toString() {
    return "SmallHttpServerConfig[name=" + name + ", eventLoopThreads=" + eventLoopThreads + ", maxConnections="
        + maxConnections + ", maxInitialLineBytes=" + maxInitialLineBytes + ", maxHeaderBytes=" + maxHeaderBytes
        + ", maxBodyBytes=" + maxBodyBytes + ", requestTimeout=" + requestTimeout + ", idleTimeout=" + idleTimeout
        + "]";
  }

  private static Duration positive(String setting, Duration v) {
    Objects.requireNonNull(v, setting);
    if (v.isNegative() || v.isZero()) {
      throw new IllegalArgumentException(setting + " must be positive: " + v);
    }
    return v;
  }

  private static int atLeast(String setting, int min, int v) {
    if (v < min) {
      throw new IllegalArgumentException(setting + " must be at least " + min + ": " + v);
    }
    return v;
  }

  /** {@code Builder} builds a {@link SmallHttpServerConfig}; every setter checks its value at once. */
  public static final class Builder {
    private String name = DEFAULT_NAME;
    private int eventLoopThreads = DEFAULT_EVENT_LOOP_THREADS;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxInitialLineBytes = DEFAULT_MAX_INITIAL_LINE_BYTES;
    private int maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES;
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;

    private Builder() {}

    private Builder(SmallHttpServerConfig c) {
      name = c.name;
      eventLoopThreads = c.eventLoopThreads;
      maxConnections = c.maxConnections;
      maxInitialLineBytes = c.maxInitialLineBytes;
      maxHeaderBytes = c.maxHeaderBytes;
      maxBodyBytes = c.maxBodyBytes;
      requestTimeout = c.requestTimeout;
      idleTimeout = c.idleTimeout;
    }

    /** {@code name} sets the prefix of the event-loop threads' names (not blank; default {@code http}). */
    public Builder name(String v) {
      if (v == null || v.isBlank()) {
        throw new IllegalArgumentException("name must not be blank: '" + v + "'");
      }
      name = v;
      return this;
    }

    /** {@code eventLoopThreads} sets the number of event-loop threads, 1..{@value #MAX_EVENT_LOOP_THREADS} (default 1). */
    public Builder eventLoopThreads(int v) {
      if (v < 1 || v > MAX_EVENT_LOOP_THREADS) {
        throw new IllegalArgumentException("eventLoopThreads must be in 1.." + MAX_EVENT_LOOP_THREADS + ": " + v);
      }
      eventLoopThreads = v;
      return this;
    }

    /** {@code maxConnections} sets the most connections open at once (at least 1; default 256). */
    public Builder maxConnections(int v) {
      maxConnections = atLeast("maxConnections", 1, v);
      return this;
    }

    /** {@code maxInitialLineBytes} sets the longest request line (at least 64; default 4096). */
    public Builder maxInitialLineBytes(int v) {
      maxInitialLineBytes = atLeast("maxInitialLineBytes", 64, v);
      return this;
    }

    /** {@code maxHeaderBytes} sets the largest header block (at least 256; default 8192). */
    public Builder maxHeaderBytes(int v) {
      maxHeaderBytes = atLeast("maxHeaderBytes", 256, v);
      return this;
    }

    /** {@code maxBodyBytes} sets the largest request body (0 refuses every body; default 64 KiB). */
    public Builder maxBodyBytes(int v) {
      maxBodyBytes = atLeast("maxBodyBytes", 0, v);
      return this;
    }

    /** {@code requestTimeout} sets the time allowed from a request's first byte to its last (positive; default 10 s). */
    public Builder requestTimeout(Duration v) {
      requestTimeout = positive("requestTimeout", v);
      return this;
    }

    /** {@code idleTimeout} sets the time a connection may stay open with no request in progress (positive; default 60 s). */
    public Builder idleTimeout(Duration v) {
      idleTimeout = positive("idleTimeout", v);
      return this;
    }

    /** {@code build} returns the config (every value was checked when set). */
    public SmallHttpServerConfig build() {
      return new SmallHttpServerConfig(this);
    }
  }
}
