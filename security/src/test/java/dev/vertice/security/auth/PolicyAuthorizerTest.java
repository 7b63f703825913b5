package dev.vertice.security.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.StringReader;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class PolicyAuthorizerTest {

  private final AuthPolicy policy = AuthPolicy.parse(new StringReader("watch.orders = payments\n"));
  private final RateLimits.Limit once = new RateLimits.Limit(1, Duration.ofHours(1));
  private final PolicyAuthorizer authorizer = new PolicyAuthorizer(policy, new RateLimits(once, once, once, 10),
      new DenialLog(new FakeClock(), 100));

  private static Identity service(String name) {
    return new Identity(Identity.Kind.SERVICE, name, "spiffe://vertice/service/" + name, Identity.Source.MTLS);
  }

  private static Status.Code as(Identity id, Runnable check) {
    Context ctx = AuthContext.with(Context.current(), id);
    try {
      ctx.run(check);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void aCallWithoutIdentityIsDeniedByDefault() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> authorizer.checkWrite(Authorizer.Write.REGISTER, "orders"));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertThrows(StatusRuntimeException.class, authorizer::visibleServices);
    assertThrows(StatusRuntimeException.class, () -> authorizer.checkWatch(List.of("orders")));
  }

  @Test
  void writesWatchesAndRateLimitsFollowThePolicy() {
    Identity orders = service("orders");
    assertEquals(Status.Code.OK, as(orders, () -> authorizer.checkWrite(Authorizer.Write.REGISTER, "orders")));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED,
        as(orders, () -> authorizer.checkWrite(Authorizer.Write.REGISTER, "orders")));
    // Deregister and KeepAlive are not rate limited.
    assertEquals(Status.Code.OK, as(orders, () -> authorizer.checkWrite(Authorizer.Write.DEREGISTER, "orders")));
    assertEquals(Status.Code.OK, as(orders, () -> authorizer.checkWrite(Authorizer.Write.DEREGISTER, "orders")));
    assertEquals(Status.Code.PERMISSION_DENIED,
        as(orders, () -> authorizer.checkWrite(Authorizer.Write.KEEP_ALIVE, "payments")));
    assertEquals(Status.Code.OK, as(orders, () -> authorizer.checkWatch(List.of("orders", "payments"))));
    assertEquals(Status.Code.PERMISSION_DENIED, as(orders, () -> authorizer.checkWatch(List.of("payments", "billing"))));
    AtomicReference<Predicate<String>> visible = new AtomicReference<>();
    as(orders, () -> visible.set(authorizer.visibleServices()));
    // The predicate is fixed at the call: it holds outside the call's context too.
    assertTrue(visible.get().test("payments"));
    assertFalse(visible.get().test("billing"));
    assertEquals(Status.Code.OK, as(orders, authorizer::checkSubscribe));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, as(orders, authorizer::checkSubscribe));
  }

  @Test
  void roleRulesOfTheInterceptor() {
    Identity gateway = new Identity(Identity.Kind.GATEWAY, "edge", "spiffe://vertice/gateway/edge", Identity.Source.MTLS);
    Identity admin = new Identity(Identity.Kind.ADMIN, "ops", "spiffe://vertice/admin/ops", Identity.Source.MTLS);
    assertTrue(AuthInterceptor.roleProblem(service("orders"), "vertice.canary.v1.CanaryService").contains("admin"));
    assertTrue(AuthInterceptor.roleProblem(gateway, "vertice.canary.v1.CanaryService").contains("admin"));
    assertNull(AuthInterceptor.roleProblem(admin, "vertice.canary.v1.CanaryService"));
    assertTrue(AuthInterceptor.roleProblem(service("orders"), "vertice.stats.v1.StatsService").contains("gateway"));
    assertNull(AuthInterceptor.roleProblem(gateway, "vertice.stats.v1.StatsService"));
    assertNull(AuthInterceptor.roleProblem(service("orders"), "grpc.reflection.v1.ServerReflection"));
    assertNull(AuthInterceptor.roleProblem(service("orders"), "vertice.registry.v1.RegistryService"));
  }
}
