package dev.vertice.gateway.proxy;

/**
 * {@code ProxyObserver} is told about every proxied request, upstream attempt, retry and ejection
 * (for metrics). Called on event loops and gRPC threads: must not block, and should not allocate in
 * the steady state. {@link #NONE} by default.
 *
 * <p>gRPC calls report their status mapped to an HTTP-like code by {@link #grpcStatusCode}.
 */
public interface ProxyObserver {

  /** {@code VERSION_NONE} is the version of a response the gateway produced itself (502/503/504...). */
  String VERSION_NONE = "none";

  /**
   * {@code requestFinished} reports a request to a known {@code service} that ended with {@code
   * status}, produced by an instance of {@code version} ({@link #VERSION_NONE} when the gateway
   * answered itself), {@code nanos} after it reached the gateway.
   */
  void requestFinished(String service, String version, int status, long nanos);

  /** {@code attemptFinished} reports one upstream attempt of a request to {@code service} that took {@code nanos}. */
  void attemptFinished(String service, long nanos);

  /** {@code retried} reports a retry of a request to {@code service}. */
  void retried(String service);

  /** {@code ejected} reports that the outlier detector ejected an instance of {@code service}. */
  void ejected(String service);

  /** {@code NONE} ignores everything. */
  ProxyObserver NONE = new ProxyObserver() {
    @Override
    public void requestFinished(String service, String version, int status, long nanos) {
    }

    @Override
    public void attemptFinished(String service, long nanos) {
    }

    @Override
    public void retried(String service) {
    }

    @Override
    public void ejected(String service) {
    }
  };

  /**
   * {@code grpcStatusCode} maps a gRPC status code (its numeric value) to the HTTP status class it
   * is counted in: OK → 200; CANCELLED → 499; the caller's errors (INVALID_ARGUMENT, NOT_FOUND,
   * ALREADY_EXISTS, PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE, UNAUTHENTICATED, ABORTED,
   * RESOURCE_EXHAUSTED, UNIMPLEMENTED) → 4xx (CANCELLED: 499, the client went away); UNKNOWN, INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED,
   * DATA_LOSS → 5xx.
   */
  static int grpcStatusCode(io.grpc.Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case CANCELLED -> 499;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND, UNIMPLEMENTED -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
    };
  }
}
