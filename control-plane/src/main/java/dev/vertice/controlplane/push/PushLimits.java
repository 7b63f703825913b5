package dev.vertice.controlplane.push;

/**
 * {@code PushLimits} bounds what one subscriber may hold and receive.
 *
 * <p>Immutable and thread-safe. Use {@link #ofDefaults()}, {@link #custom()} or {@link
 * #from(PushLimits)}; the builder's setters reject a value that is not positive at once, quoting
 * it.
 */
public final class PushLimits {

  /** Explicit resource names one stream may subscribe to, per type. */
  public static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_STREAM = 10_000;
  /** Resources (plus removals) in one response. */
  public static final int DEFAULT_MAX_RESOURCES_PER_BATCH = 512;
  /** Approximate upper bound of one response's resource bytes: 1 MiB. */
  public static final int DEFAULT_MAX_BATCH_BYTES = 1 << 20;
  /** Sent responses remembered for ACK matching. */
  public static final int DEFAULT_MAX_OUTSTANDING_BATCHES = 1024;
  /** Changes per resource awaiting convergence. */
  public static final int DEFAULT_MAX_TRACKED_CHANGES_PER_RESOURCE = 64;
  /** Bytes of client-chosen names one stream may make the engine hold: 8 MiB. */
  public static final long DEFAULT_MAX_PENDING_BYTES_PER_STREAM = 8L << 20;
  /** Bytes of client-chosen names the streams of one connection may make the engine hold: 32 MiB. */
  public static final long DEFAULT_MAX_PENDING_BYTES_PER_CONNECTION = 32L << 20;
  /** Bytes of client-chosen names all streams together may make the engine hold: 256 MiB. */
  public static final long DEFAULT_MAX_PENDING_BYTES_PER_PROCESS = 256L << 20;

  private final int maxSubscriptionsPerStream;
  private final int maxResourcesPerBatch;
  private final int maxBatchBytes;
  private final int maxOutstandingBatches;
  private final int maxTrackedChangesPerResource;
  private final long maxPendingBytesPerStream;
  private final long maxPendingBytesPerConnection;
  private final long maxPendingBytesPerProcess;

  private PushLimits(Builder b) {
    this.maxSubscriptionsPerStream = b.maxSubscriptionsPerStream;
    this.maxResourcesPerBatch = b.maxResourcesPerBatch;
    this.maxBatchBytes = b.maxBatchBytes;
    this.maxOutstandingBatches = b.maxOutstandingBatches;
    this.maxTrackedChangesPerResource = b.maxTrackedChangesPerResource;
    this.maxPendingBytesPerStream = b.maxPendingBytesPerStream;
    this.maxPendingBytesPerConnection = b.maxPendingBytesPerConnection;
    this.maxPendingBytesPerProcess = b.maxPendingBytesPerProcess;
  }

  /** Returns the defaults: 10,000 subscriptions per stream, 512 resources or 1 MiB per response. */
  public static PushLimits ofDefaults() {
    return custom().build();
  }

  /** Returns a builder starting from the defaults. */
  public static Builder custom() {
    return new Builder();
  }

  /** Returns a builder starting from {@code base}. */
  public static Builder from(PushLimits base) {
    return new Builder(base);
  }

  /** Explicit resource names one stream may subscribe to, per type. */
  public int maxSubscriptionsPerStream() {
    return maxSubscriptionsPerStream;
  }

  /** Resources (plus removals) in one response. */
  public int maxResourcesPerBatch() {
    return maxResourcesPerBatch;
  }

  /** Approximate upper bound of one response's resource bytes; a single larger resource is still sent alone. */
  public int maxBatchBytes() {
    return maxBatchBytes;
  }

  /** Sent responses remembered for ACK matching; the ACK of an older one is ignored. */
  public int maxOutstandingBatches() {
    return maxOutstandingBatches;
  }

  /** Changes per resource awaiting convergence; older ones are dropped unconverged. */
  public int maxTrackedChangesPerResource() {
    return maxTrackedChangesPerResource;
  }

  /**
   * Bytes one stream may make the engine hold for names its client chose: explicit subscriptions,
   * and names held only through the initial versions of a wildcard (estimated per name, see {@code
   * PendingBudget}). Resources that exist are not counted: the registry bounds them.
   */
  public long maxPendingBytesPerStream() {
    return maxPendingBytesPerStream;
  }

  /** The same bytes, over all streams of one client connection (a connection the transport names). */
  public long maxPendingBytesPerConnection() {
    return maxPendingBytesPerConnection;
  }

  /** The same bytes, over every stream of this engine. */
  public long maxPendingBytesPerProcess() {
    return maxPendingBytesPerProcess;
  }

  @Override
  public String toString() {
    return "PushLimits{maxSubscriptionsPerStream=" + maxSubscriptionsPerStream + ", maxResourcesPerBatch="
        + maxResourcesPerBatch + ", maxBatchBytes=" + maxBatchBytes + ", maxOutstandingBatches="
        + maxOutstandingBatches + ", maxTrackedChangesPerResource=" + maxTrackedChangesPerResource + ", maxPendingBytesPerStream=" + maxPendingBytesPerStream
        + ", maxPendingBytesPerConnection=" + maxPendingBytesPerConnection + ", maxPendingBytesPerProcess="
        + maxPendingBytesPerProcess + "}";
  }

  /** {@code Builder} builds a {@link PushLimits}; every setter rejects a value that is not positive. */
  public static final class Builder {
    private int maxSubscriptionsPerStream = DEFAULT_MAX_SUBSCRIPTIONS_PER_STREAM;
    private int maxResourcesPerBatch = DEFAULT_MAX_RESOURCES_PER_BATCH;
    private int maxBatchBytes = DEFAULT_MAX_BATCH_BYTES;
    private int maxOutstandingBatches = DEFAULT_MAX_OUTSTANDING_BATCHES;
    private int maxTrackedChangesPerResource = DEFAULT_MAX_TRACKED_CHANGES_PER_RESOURCE;
    private long maxPendingBytesPerStream = DEFAULT_MAX_PENDING_BYTES_PER_STREAM;
    private long maxPendingBytesPerConnection = DEFAULT_MAX_PENDING_BYTES_PER_CONNECTION;
    private long maxPendingBytesPerProcess = DEFAULT_MAX_PENDING_BYTES_PER_PROCESS;

    private Builder() {}

    private Builder(PushLimits base) {
      this.maxSubscriptionsPerStream = base.maxSubscriptionsPerStream;
      this.maxResourcesPerBatch = base.maxResourcesPerBatch;
      this.maxBatchBytes = base.maxBatchBytes;
      this.maxOutstandingBatches = base.maxOutstandingBatches;
      this.maxTrackedChangesPerResource = base.maxTrackedChangesPerResource;
      this.maxPendingBytesPerStream = base.maxPendingBytesPerStream;
      this.maxPendingBytesPerConnection = base.maxPendingBytesPerConnection;
      this.maxPendingBytesPerProcess = base.maxPendingBytesPerProcess;
    }

    /** Explicit names one stream may subscribe to, per type (default {@value #DEFAULT_MAX_SUBSCRIPTIONS_PER_STREAM}). */
    public Builder maxSubscriptionsPerStream(int v) {
      this.maxSubscriptionsPerStream = positive("maxSubscriptionsPerStream", v);
      return this;
    }

    /** Resources (plus removals) in one response (default {@value #DEFAULT_MAX_RESOURCES_PER_BATCH}). */
    public Builder maxResourcesPerBatch(int v) {
      this.maxResourcesPerBatch = positive("maxResourcesPerBatch", v);
      return this;
    }

    /** Approximate bound of one response's resource bytes (default {@value #DEFAULT_MAX_BATCH_BYTES}). */
    public Builder maxBatchBytes(int v) {
      this.maxBatchBytes = positive("maxBatchBytes", v);
      return this;
    }

    /** Sent responses remembered for ACK matching (default {@value #DEFAULT_MAX_OUTSTANDING_BATCHES}). */
    public Builder maxOutstandingBatches(int v) {
      this.maxOutstandingBatches = positive("maxOutstandingBatches", v);
      return this;
    }

    /** Changes per resource awaiting convergence (default {@value #DEFAULT_MAX_TRACKED_CHANGES_PER_RESOURCE}). */
    public Builder maxTrackedChangesPerResource(int v) {
      this.maxTrackedChangesPerResource = positive("maxTrackedChangesPerResource", v);
      return this;
    }

    /** Bytes of client-chosen names per stream (default {@value #DEFAULT_MAX_PENDING_BYTES_PER_STREAM}). */
    public Builder maxPendingBytesPerStream(long v) {
      this.maxPendingBytesPerStream = positive("maxPendingBytesPerStream", v);
      return this;
    }

    /** Bytes of client-chosen names per connection (default {@value #DEFAULT_MAX_PENDING_BYTES_PER_CONNECTION}). */
    public Builder maxPendingBytesPerConnection(long v) {
      this.maxPendingBytesPerConnection = positive("maxPendingBytesPerConnection", v);
      return this;
    }

    /** Bytes of client-chosen names over the process (default {@value #DEFAULT_MAX_PENDING_BYTES_PER_PROCESS}). */
    public Builder maxPendingBytesPerProcess(long v) {
      this.maxPendingBytesPerProcess = positive("maxPendingBytesPerProcess", v);
      return this;
    }

    public PushLimits build() {
      return new PushLimits(this);
    }

    private static int positive(String name, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }

    private static long positive(String name, long value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }
  }
}
