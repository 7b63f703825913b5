package dev.vertice.security.auth;

import io.grpc.Context;
import java.util.Optional;

/**
 * {@code AuthContext} carries the caller's {@link Identity} in the gRPC {@link Context} of a call:
 * {@link AuthInterceptor} puts it there, services read it with {@link #identity()} (handlers of
 * streaming calls run in the call's context too).
 */
public final class AuthContext {

  /** The key holding the caller's identity; absent when auth is off. */
  static final Context.Key<Identity> IDENTITY = Context.key("vertice-identity");

  private AuthContext() {}

  /** Returns the identity of the call running on this thread, empty when there is none (auth off). */
  public static Optional<Identity> identity() {
    return Optional.ofNullable(IDENTITY.get());
  }

  /** Returns {@code context} carrying {@code identity} (for in-process callers and tests that act as someone). */
  public static Context with(Context context, Identity identity) {
    return context.withValue(IDENTITY, identity);
  }
}
