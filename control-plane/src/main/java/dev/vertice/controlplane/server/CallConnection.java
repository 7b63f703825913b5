package dev.vertice.controlplane.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * {@code CallConnection} names the client connection a call arrived on (its remote address) in the
 * call's gRPC {@link Context}, so that a stream's state can be counted per connection (the push
 * engine's pending-bytes budget). Stateless and thread-safe; a call with no remote address (an
 * in-process transport) has none.
 */
public final class CallConnection implements ServerInterceptor {

  private static final Context.Key<Object> CONNECTION = Context.key("vertice-connection");

  /** Returns the connection of the call running on this thread, or null when the transport names none. */
  static Object current() {
    return CONNECTION.get();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Object remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (remote == null) {
      return next.startCall(call, headers);
    }
    return Contexts.interceptCall(Context.current().withValue(CONNECTION, remote), call, headers, next);
  }
}
