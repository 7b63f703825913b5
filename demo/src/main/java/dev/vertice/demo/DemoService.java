package dev.vertice.demo;

/**
 * {@code DemoService} is one running demo instance (HTTP or gRPC): its port, its health switch and
 * the number of requests it is serving.
 */
public interface DemoService extends AutoCloseable {

  /** {@code config} returns what the instance was started with. */
  DemoConfig config();

  /** {@code port} returns the bound port. */
  int port();

  /** {@code protocol} returns {@code "http"} or {@code "grpc"}. */
  String protocol();

  /** {@code serving} returns the health switch: true when the instance reports SERVING. */
  boolean serving();

  /** {@code setServing} flips the health switch. */
  void setServing(boolean serving);

  /** {@code inFlight} returns the number of echo requests being served now. */
  int inFlight();

  /** {@code close} stops listening at once; requests in flight are abandoned. */
  @Override
  void close();
}
