package dev.vertice.controlplane.autoscale;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code AutoscaleConfig} holds the limits of the autoscaling signals. Immutable and thread-safe;
 * built with {@link #custom()} (from the defaults) or {@link #from(AutoscaleConfig)}.
 */
public final class AutoscaleConfig {

  /** How many of its own intervals a reporter's last report counts after its receipt: 3. */
  public static final int DEFAULT_STALE_INTERVALS = 3;
  /** How often reports that went stale are dropped (and activity watchers told): 100 ms. */
  public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMillis(100);
  /** Most reporters (gateways, sidecars) whose last report is kept: 1024. */
  public static final int DEFAULT_MAX_REPORTERS = 1024;
  /** Most open StreamIsActive streams: 1024. */
  public static final int DEFAULT_MAX_ACTIVITY_STREAMS = 1024;
  /** Most services exported on /metrics: 500. */
  public static final int DEFAULT_MAX_EXPORTED_SERVICES = 500;
  /** Most versions of one service exported on /metrics (besides version="all"): 8. */
  public static final int DEFAULT_MAX_EXPORTED_VERSIONS = 8;

  private final int staleIntervals;
  private final Duration sweepInterval;
  private final int maxReporters;
  private final int maxActivityStreams;
  private final int maxExportedServices;
  private final int maxExportedVersions;

  private AutoscaleConfig(Builder b) {
    this.staleIntervals = b.staleIntervals;
    this.sweepInterval = b.sweepInterval;
    this.maxReporters = b.maxReporters;
    this.maxActivityStreams = b.maxActivityStreams;
    this.maxExportedServices = b.maxExportedServices;
    this.maxExportedVersions = b.maxExportedVersions;
  }

  /** Returns the defaults. */
  public static AutoscaleConfig ofDefaults() {
    return custom().build();
  }

  /** Returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** Returns a builder starting from {@code base}. */
  public static Builder from(AutoscaleConfig base) {
    return new Builder(base);
  }

  /**
   * Returns for how many of its own intervals (interval_end - interval_start) a reporter's last
   * report counts after it arrived; a reporter that stops sending (gateways send nothing when idle)
   * stops counting then.
   */
  public int staleIntervals() {
    return staleIntervals;
  }

  /** Returns how often stale reports are dropped. */
  public Duration sweepInterval() {
    return sweepInterval;
  }

  /** Returns the most reporters tracked; reports from further reporters are not used. */
  public int maxReporters() {
    return maxReporters;
  }

  /** Returns the most open StreamIsActive streams; further ones get RESOURCE_EXHAUSTED. */
  public int maxActivityStreams() {
    return maxActivityStreams;
  }

  /** Returns the most services exported on /metrics (the busiest are kept). */
  public int maxExportedServices() {
    return maxExportedServices;
  }

  /** Returns the most versions of one service exported on /metrics, besides version="all". */
  public int maxExportedVersions() {
    return maxExportedVersions;
  }

  @Override
  public String toString() {
    return "AutoscaleConfig[staleIntervals=" + staleIntervals + ", sweepInterval=" + sweepInterval
        + ", maxReporters=" + maxReporters + ", maxActivityStreams=" + maxActivityStreams
        + ", maxExportedServices=" + maxExportedServices + ", maxExportedVersions=" + maxExportedVersions + "]";
  }

  /** {@code Builder} builds an {@link AutoscaleConfig}; each setter checks its value at once. */
  public static final class Builder {
    private int staleIntervals = DEFAULT_STALE_INTERVALS;
    private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;
    private int maxReporters = DEFAULT_MAX_REPORTERS;
    private int maxActivityStreams = DEFAULT_MAX_ACTIVITY_STREAMS;
    private int maxExportedServices = DEFAULT_MAX_EXPORTED_SERVICES;
    private int maxExportedVersions = DEFAULT_MAX_EXPORTED_VERSIONS;

    private Builder() {}

    private Builder(AutoscaleConfig base) {
      this.staleIntervals = base.staleIntervals;
      this.sweepInterval = base.sweepInterval;
      this.maxReporters = base.maxReporters;
      this.maxActivityStreams = base.maxActivityStreams;
      this.maxExportedServices = base.maxExportedServices;
      this.maxExportedVersions = base.maxExportedVersions;
    }

    /** Sets {@link AutoscaleConfig#staleIntervals()}: 1..100. */
    public Builder staleIntervals(int v) {
      if (v < 1 || v > 100) {
        throw new IllegalArgumentException("staleIntervals must be 1..100: " + v);
      }
      this.staleIntervals = v;
      return this;
    }

    /** Sets {@link AutoscaleConfig#sweepInterval()}: 10 ms..60 s. */
    public Builder sweepInterval(Duration v) {
      Objects.requireNonNull(v, "sweepInterval");
      if (v.compareTo(Duration.ofMillis(10)) < 0 || v.compareTo(Duration.ofSeconds(60)) > 0) {
        throw new IllegalArgumentException("sweepInterval must be 10 ms..60 s: " + v);
      }
      this.sweepInterval = v;
      return this;
    }

    /** Sets {@link AutoscaleConfig#maxReporters()}: 1..100,000. */
    public Builder maxReporters(int v) {
      this.maxReporters = check("maxReporters", v, 100_000);
      return this;
    }

    /** Sets {@link AutoscaleConfig#maxActivityStreams()}: 1..100,000. */
    public Builder maxActivityStreams(int v) {
      this.maxActivityStreams = check("maxActivityStreams", v, 100_000);
      return this;
    }

    /** Sets {@link AutoscaleConfig#maxExportedServices()}: 0..100,000 (0 exports none). */
    public Builder maxExportedServices(int v) {
      if (v == 0) {
        this.maxExportedServices = 0;
        return this;
      }
      this.maxExportedServices = check("maxExportedServices", v, 100_000);
      return this;
    }

    /** Sets {@link AutoscaleConfig#maxExportedVersions()}: 0..1,000 (0: version="all" only). */
    public Builder maxExportedVersions(int v) {
      if (v == 0) {
        this.maxExportedVersions = 0;
        return this;
      }
      this.maxExportedVersions = check("maxExportedVersions", v, 1_000);
      return this;
    }

    private static int check(String name, int v, int max) {
      if (v < 1 || v > max) {
        throw new IllegalArgumentException(name + " must be 1.." + max + ": " + v);
      }
      return v;
    }

    /** Builds the config. */
    public AutoscaleConfig build() {
      return new AutoscaleConfig(this);
    }
  }
}
