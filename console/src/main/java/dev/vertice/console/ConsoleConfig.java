package dev.vertice.console;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code ConsoleConfig} holds the settings of the web console: whether it is served and whether its
 * actions are, how many live pages may stream events at once, how much may wait for a slow one, and
 * how often the pages hear a tick. Immutable; {@link #ofDefaults()}, {@link #custom()}, {@link
 * #from(ConsoleConfig)}; setters reject impossible values with an {@link IllegalArgumentException}
 * naming the setting and quoting the value.
 */
public final class ConsoleConfig {

  /** What the console serves. */
  public enum Mode {
    /** Pages and API; admin identities (everyone with auth off) may run rollout actions. */
    ON,
    /** Pages and API; no action for anyone. */
    READ_ONLY,
    /** Nothing: {@code /ui/} answers 404. */
    OFF;

    /**
     * {@code parse} reads {@code on}, {@code read-only} or {@code off} (any case).
     *
     * @throws IllegalArgumentException naming the value otherwise
     */
    public static Mode parse(String text) {
      String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
      return switch (t) {
        case "on" -> ON;
        case "read-only", "readonly" -> READ_ONLY;
        case "off" -> OFF;
        default -> throw new IllegalArgumentException("console must be on, read-only or off: '" + text + "'");
      };
    }
  }

  /** Default mode: {@link Mode#ON}. */
  public static final Mode DEFAULT_MODE = Mode.ON;
  /** Default cap on live pages streaming events at once: 16 (the next one gets 503). */
  public static final int DEFAULT_MAX_EVENT_STREAMS = 16;
  /** Default bytes that may wait to be written to one live page: 64 KiB (the page is cut off beyond). */
  public static final int DEFAULT_EVENT_BUFFER_BYTES = 64 * 1024;
  /** Default interval of the tick event (refreshes the push figures, keeps connections alive): 2 s. */
  public static final Duration DEFAULT_TICK_INTERVAL = Duration.ofSeconds(2);
  /** Default time changes are gathered into one event: 20 ms. */
  public static final Duration DEFAULT_COALESCE = Duration.ofMillis(20);

  private final Mode mode;
  private final int maxEventStreams;
  private final int eventBufferBytes;
  private final Duration tickInterval;
  private final Duration coalesce;

  private ConsoleConfig(Builder b) {
    this.mode = b.mode;
    this.maxEventStreams = b.maxEventStreams;
    this.eventBufferBytes = b.eventBufferBytes;
    this.tickInterval = b.tickInterval;
    this.coalesce = b.coalesce;
  }

  /** {@code ofDefaults} returns the defaults. */
  public static ConsoleConfig ofDefaults() {
    return custom().build();
  }

  /** {@code custom} returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** {@code from} returns a builder starting from {@code base}. */
  public static Builder from(ConsoleConfig base) {
    return new Builder(Objects.requireNonNull(base, "base"));
  }

  /** {@code mode} says what is served. */
  public Mode mode() {
    return mode;
  }

  /** {@code maxEventStreams} is the most live pages streaming events at once. */
  public int maxEventStreams() {
    return maxEventStreams;
  }

  /** {@code eventBufferBytes} is the most bytes waiting to be written to one live page. */
  public int eventBufferBytes() {
    return eventBufferBytes;
  }

  /** {@code tickInterval} is how often live pages get a tick event. */
  public Duration tickInterval() {
    return tickInterval;
  }

  /** {@code coalesce} is how long changes are gathered into one event. */
  public Duration coalesce() {
    return coalesce;
  }

  @Override
  public String toString() {
    return "console " + mode.name().toLowerCase(Locale.ROOT).replace('_', '-') + " (at most " + maxEventStreams
        + " live pages, " + eventBufferBytes + " bytes buffered each)";
  }

  /** {@code Builder} builds a {@link ConsoleConfig}. */
  public static final class Builder {
    private Mode mode = DEFAULT_MODE;
    private int maxEventStreams = DEFAULT_MAX_EVENT_STREAMS;
    private int eventBufferBytes = DEFAULT_EVENT_BUFFER_BYTES;
    private Duration tickInterval = DEFAULT_TICK_INTERVAL;
    private Duration coalesce = DEFAULT_COALESCE;

    private Builder() {}

    private Builder(ConsoleConfig base) {
      mode = base.mode;
      maxEventStreams = base.maxEventStreams;
      eventBufferBytes = base.eventBufferBytes;
      tickInterval = base.tickInterval;
      coalesce = base.coalesce;
    }

    /** {@code mode} sets what is served (default on). */
    public Builder mode(Mode v) {
      mode = Objects.requireNonNull(v, "mode");
      return this;
    }

    /** {@code maxEventStreams} sets the cap on live pages, 1..1024 (default 16). */
    public Builder maxEventStreams(int v) {
      if (v < 1 || v > 1024) {
        throw new IllegalArgumentException("maxEventStreams must be in 1..1024: " + v);
      }
      maxEventStreams = v;
      return this;
    }

    /** {@code eventBufferBytes} sets the bytes one live page may have waiting, 1 KiB..16 MiB (default 64 KiB). */
    public Builder eventBufferBytes(int v) {
      if (v < 1024 || v > 16 * 1024 * 1024) {
        throw new IllegalArgumentException("eventBufferBytes must be in 1024..16777216: " + v);
      }
      eventBufferBytes = v;
      return this;
    }

    /** {@code tickInterval} sets the tick interval, 100 ms..60 s (default 2 s). */
    public Builder tickInterval(Duration v) {
      if (v == null || v.compareTo(Duration.ofMillis(100)) < 0 || v.compareTo(Duration.ofSeconds(60)) > 0) {
        throw new IllegalArgumentException("tickInterval must be in 100ms..60s: " + v);
      }
      tickInterval = v;
      return this;
    }

    /** {@code coalesce} sets how long changes are gathered, 0..1 s (default 20 ms). */
    public Builder coalesce(Duration v) {
      if (v == null || v.isNegative() || v.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new IllegalArgumentException("coalesce must be in 0..1s: " + v);
      }
      coalesce = v;
      return this;
    }

    /** {@code build} returns the config. */
    public ConsoleConfig build() {
      return new ConsoleConfig(this);
    }
  }
}
