package dev.vertice.controlplane.store;

/**
 * {@code StatsLimits} bounds what ReportStats may add to the {@link StatsStore}: entries per batch,
 * entries per reporter and per replica each second, requests per entry, and the number of (service,
 * version) series held. Immutable and thread-safe.
 *
 * <p>A batch over a per-batch, per-second or per-entry limit is refused whole (RESOURCE_EXHAUSTED or
 * INVALID_ARGUMENT) and changes nothing. The series limit is different: an entry that would start a
 * series beyond it is dropped (counted, logged) while the rest of the batch is kept, and a series of
 * a version named by a service's rollout TrafficPolicy is always kept, so a canary never loses its
 * candidate's traffic to a crowded store.
 */
public final class StatsLimits {

  /** Default most VersionStats in one batch. */
  public static final int DEFAULT_MAX_ENTRIES_PER_BATCH = 1024;
  /** Default most VersionStats one reporter may send per second (on one replica). */
  public static final int DEFAULT_MAX_ENTRIES_PER_REPORTER_PER_SECOND = 2048;
  /** Default most VersionStats all reporters together may send per second to one replica. */
  public static final int DEFAULT_MAX_ENTRIES_PER_SECOND = 20_000;
  /** Default most requests one VersionStats (one reporter, one interval) may count. */
  public static final long DEFAULT_MAX_REQUESTS_PER_ENTRY = 1_000_000L;
  /** Default most (service, version) series the store holds (rollout series come on top). */
  public static final int DEFAULT_MAX_SERIES = 1024;

  private final int maxEntriesPerBatch;
  private final int maxEntriesPerReporterPerSecond;
  private final int maxEntriesPerSecond;
  private final long maxRequestsPerEntry;
  private final int maxSeries;

  private StatsLimits(Builder b) {
    this.maxEntriesPerBatch = b.maxEntriesPerBatch;
    this.maxEntriesPerReporterPerSecond = b.maxEntriesPerReporterPerSecond;
    this.maxEntriesPerSecond = b.maxEntriesPerSecond;
    this.maxRequestsPerEntry = b.maxRequestsPerEntry;
    this.maxSeries = b.maxSeries;
  }

  /** Returns the defaults. */
  public static StatsLimits ofDefaults() {
    return custom().build();
  }

  /** Returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** Returns a builder starting from {@code base}. */
  public static Builder from(StatsLimits base) {
    Builder b = new Builder();
    b.maxEntriesPerBatch = base.maxEntriesPerBatch;
    b.maxEntriesPerReporterPerSecond = base.maxEntriesPerReporterPerSecond;
    b.maxEntriesPerSecond = base.maxEntriesPerSecond;
    b.maxRequestsPerEntry = base.maxRequestsPerEntry;
    b.maxSeries = base.maxSeries;
    return b;
  }

  /** Most VersionStats in one ReportStats batch (INVALID_ARGUMENT beyond). */
  public int maxEntriesPerBatch() {
    return maxEntriesPerBatch;
  }

  /** Most VersionStats one reporter may send to this replica per second (RESOURCE_EXHAUSTED beyond). */
  public int maxEntriesPerReporterPerSecond() {
    return maxEntriesPerReporterPerSecond;
  }

  /** Most VersionStats all reporters may send to this replica per second (RESOURCE_EXHAUSTED beyond). */
  public int maxEntriesPerSecond() {
    return maxEntriesPerSecond;
  }

  /** Most requests one VersionStats may count: what one interval of one reporter can hold (INVALID_ARGUMENT beyond). */
  public long maxRequestsPerEntry() {
    return maxRequestsPerEntry;
  }

  /** Most (service, version) series held; series of versions in a rollout's policy are kept beyond it. */
  public int maxSeries() {
    return maxSeries;
  }

  @Override
  public String toString() {
    return "StatsLimits{maxEntriesPerBatch=" + maxEntriesPerBatch + ", maxEntriesPerReporterPerSecond="
        + maxEntriesPerReporterPerSecond + ", maxEntriesPerSecond=" + maxEntriesPerSecond + ", maxRequestsPerEntry="
        + maxRequestsPerEntry + ", maxSeries=" + maxSeries + "}";
  }

  /** {@code Builder} checks each value at once, quoting it. */
  public static final class Builder {
    private int maxEntriesPerBatch = DEFAULT_MAX_ENTRIES_PER_BATCH;
    private int maxEntriesPerReporterPerSecond = DEFAULT_MAX_ENTRIES_PER_REPORTER_PER_SECOND;
    private int maxEntriesPerSecond = DEFAULT_MAX_ENTRIES_PER_SECOND;
    private long maxRequestsPerEntry = DEFAULT_MAX_REQUESTS_PER_ENTRY;
    private int maxSeries = DEFAULT_MAX_SERIES;

    private Builder() {}

    /** Most VersionStats in one batch; default 1024. */
    public Builder maxEntriesPerBatch(int v) {
      this.maxEntriesPerBatch = positive("maxEntriesPerBatch", v);
      return this;
    }

    /** Most VersionStats per reporter per second on one replica; default 2048. */
    public Builder maxEntriesPerReporterPerSecond(int v) {
      this.maxEntriesPerReporterPerSecond = positive("maxEntriesPerReporterPerSecond", v);
      return this;
    }

    /** Most VersionStats per second on one replica, all reporters together; default 20,000. */
    public Builder maxEntriesPerSecond(int v) {
      this.maxEntriesPerSecond = positive("maxEntriesPerSecond", v);
      return this;
    }

    /** Most requests in one VersionStats; default 1,000,000 (1 M requests per version per 1 s interval). */
    public Builder maxRequestsPerEntry(long v) {
      if (v < 1 || v > 1_000_000_000_000L) {
        throw new IllegalArgumentException("maxRequestsPerEntry must be 1 to 10^12: " + v);
      }
      this.maxRequestsPerEntry = v;
      return this;
    }

    /** Most (service, version) series held; default 1024. */
    public Builder maxSeries(int v) {
      this.maxSeries = positive("maxSeries", v);
      return this;
    }

    private static int positive(String name, int v) {
      if (v < 1) {
        throw new IllegalArgumentException(name + " must be positive: " + v);
      }
      return v;
    }

    /** Builds the limits. */
    public StatsLimits build() {
      if (maxEntriesPerReporterPerSecond < maxEntriesPerBatch) {
        throw new IllegalArgumentException("maxEntriesPerReporterPerSecond (" + maxEntriesPerReporterPerSecond
            + ") must be at least maxEntriesPerBatch (" + maxEntriesPerBatch + ")");
      }
      return new StatsLimits(this);
    }
  }
}
