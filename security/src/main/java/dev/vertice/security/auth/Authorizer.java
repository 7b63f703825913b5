package dev.vertice.security.auth;

import io.grpc.StatusRuntimeException;
import java.util.Collection;
import java.util.function.Predicate;

/**
 * {@code Authorizer} makes the request-dependent decisions of the control-plane services for the
 * caller of the current gRPC call (read from {@link AuthContext}). A refused check throws the status
 * to answer with (PERMISSION_DENIED, UNAUTHENTICATED or RESOURCE_EXHAUSTED) and has logged the
 * decision; the caller must then change nothing. {@link #ALLOW_ALL} (auth off) allows everything.
 */
public interface Authorizer {

  /** The instance writes a workload may make only for its own service. */
  enum Write {
    /** RegistryService.Register (rate limited). */
    REGISTER,
    /** RegistryService.KeepAlive. */
    KEEP_ALIVE,
    /** RegistryService.SetHealth (rate limited). */
    SET_HEALTH,
    /** RegistryService.Deregister. */
    DEREGISTER
  }

  /** Auth off: every check passes, every service is visible. */
  Authorizer ALLOW_ALL = new Authorizer() {
    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public void checkWrite(Write op, String service) {}

    @Override
    public Predicate<String> visibleServices() {
      return s -> true;
    }

    @Override
    public void checkWatch(Collection<String> services) {}

    @Override
    public void checkSubscribe() {}

    @Override
    public String toString() {
      return "auth off (allow all)";
    }
  };

  /** Returns whether checks are made at all (false for {@link #ALLOW_ALL}). */
  boolean enabled();

  /** Checks that the caller may make {@code op} on instances of {@code service} (canonical), and its rate limit. */
  void checkWrite(Write op, String service) throws StatusRuntimeException;

  /**
   * Returns which services the caller may see (watch, get, list), fixed at this call: streams keep
   * using it after the request that asked.
   */
  Predicate<String> visibleServices() throws StatusRuntimeException;

  /** Checks that the caller may watch every one of {@code services} (canonical names, no wildcard). */
  void checkWatch(Collection<String> services) throws StatusRuntimeException;

  /** Checks the caller's rate limit of Watch (or ADS) requests that add subscriptions. */
  void checkSubscribe() throws StatusRuntimeException;
}
