package dev.vertice.security.auth;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Collection;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * {@code PolicyAuthorizer} is the deny-by-default {@link Authorizer}: decisions from an {@link
 * AuthPolicy}, rate limits from {@link RateLimits}, denials logged to a {@link DenialLog}. A call
 * without an identity in its context is refused with UNAUTHENTICATED. Thread-safe.
 */
public final class PolicyAuthorizer implements Authorizer {

  private final AuthPolicy policy;
  private final RateLimits limits;
  private final DenialLog denials;

  /** Creates the authorizer. */
  public PolicyAuthorizer(AuthPolicy policy, RateLimits limits, DenialLog denials) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.denials = Objects.requireNonNull(denials, "denials");
  }

  /** Returns the policy decisions are made from. */
  public AuthPolicy policy() {
    return policy;
  }

  @Override
  public boolean enabled() {
    return true;
  }

  private Identity caller(String what) {
    return AuthContext.identity().orElseThrow(() -> {
      denials.denied("a caller without identity", what, "no identity in the call context");
      return Status.UNAUTHENTICATED.withDescription("no identity: authentication is required").asRuntimeException();
    });
  }

  @Override
  public void checkWrite(Write op, String service) {
    String what = method(op) + " for service '" + service + "'";
    Identity id = caller(what);
    if (!policy.mayWrite(id, service)) {
      String why = switch (id.kind()) {
        case SERVICE -> "a service identity may change only instances of its own service ('" + id.name() + "')";
        case GATEWAY -> "a gateway identity may not change instances";
        case ADMIN -> "denied";
      };
      denials.denied(id.describe(), what, why);
      throw Status.PERMISSION_DENIED.withDescription(id.describe() + " may not " + label(op) + " instances of '"
          + service + "': " + why).asRuntimeException();
    }
    RateLimits.Operation limited = switch (op) {
      case REGISTER -> RateLimits.Operation.REGISTER;
      case SET_HEALTH -> RateLimits.Operation.SET_HEALTH;
      default -> null;
    };
    if (limited != null) {
      rateLimit(id, limited);
    }
  }

  @Override
  public Predicate<String> visibleServices() {
    Identity id = caller("watch");
    return service -> policy.mayWatch(id, service);
  }

  @Override
  public void checkWatch(Collection<String> services) {
    Identity id = caller("watch");
    for (String s : services) {
      if (!policy.mayWatch(id, s)) {
        String why = "not granted (its own service and the policy's watch." + id.name() + " grants only)";
        denials.denied(id.describe(), "watch of service '" + s + "'", why);
        throw Status.PERMISSION_DENIED.withDescription(id.describe() + " may not watch service '" + s + "': " + why)
            .asRuntimeException();
      }
    }
  }

  @Override
  public void checkSubscribe() {
    rateLimit(caller("watch"), RateLimits.Operation.WATCH);
  }

  private void rateLimit(Identity id, RateLimits.Operation op) {
    if (!limits.tryAcquire(id, op)) {
      String why = "rate limit of " + limits.limit(op) + " per identity exceeded";
      denials.denied(id.describe(), op.label(), why);
      throw Status.RESOURCE_EXHAUSTED.withDescription(op.label() + " by " + id.describe() + ": " + why
          + "; retry later").asRuntimeException();
    }
  }

  private static String label(Write op) {
    return switch (op) {
      case REGISTER -> "register";
      case KEEP_ALIVE -> "keep alive";
      case SET_HEALTH -> "set the health of";
      case DEREGISTER -> "deregister";
    };
  }

  private static String method(Write op) {
    return switch (op) {
      case REGISTER -> "Register";
      case KEEP_ALIVE -> "KeepAlive";
      case SET_HEALTH -> "SetHealth";
      case DEREGISTER -> "Deregister";
    };
  }

  @Override
  public String toString() {
    return "PolicyAuthorizer[" + policy + "]";
  }
}
