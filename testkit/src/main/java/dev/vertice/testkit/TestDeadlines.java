package dev.vertice.testkit;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code TestDeadlines} keeps a test's blocking calls from waiting forever: every gRPC call made
 * through {@link #grpc()} gets a deadline of {@link #CALL} unless it set one itself (a stub's {@code
 * withDeadlineAfter} is fixed when the stub is made, so a stub kept for a whole test could not
 * carry one), and HTTP requests take {@link #HTTP} as their timeout. Use it as {@code
 * FooGrpc.newBlockingStub(channel).withInterceptors(TestDeadlines.grpc())} and {@code
 * HttpRequest.newBuilder(uri).timeout(TestDeadlines.HTTP)}.
 */
public final class TestDeadlines {

  /** The deadline of a gRPC call that set none: generous, far below the JUnit ceiling. */
  public static final Duration CALL = Duration.ofSeconds(60);
  /** The timeout of one HTTP request in a test. */
  public static final Duration HTTP = Duration.ofSeconds(60);

  private static final ClientInterceptor GRPC = new ClientInterceptor() {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
        CallOptions options, Channel next) {
      CallOptions bounded = options.getDeadline() != null ? options
          : options.withDeadlineAfter(CALL.toMillis(), TimeUnit.MILLISECONDS);
      return next.newCall(method, bounded);
    }
  };

  private TestDeadlines() {}

  /** Returns an interceptor giving each call without a deadline one of {@link #CALL}. Stateless. */
  public static ClientInterceptor grpc() {
    return GRPC;
  }
}
