package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.internal.VerticeNameResolver;
import dev.vertice.client.internal.VerticeRoundRobinLoadBalancer;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ConnectivityState;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real grpc-java channels on {@code vertice:///echo} targets, resolved by a real control plane's
 * pushes, calling real upstream servers (the grpc.health.v1 service) on loopback.
 */
class VerticeNameResolverTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @RegisterExtension
  final TestResources resources = new TestResources();

  /** One upstream registered as {@code echo/u1}, and a channel to {@code vertice:///echo}. */
  private record OneUpstream(Upstream upstream, Registration registration, ManagedChannel channel) {}

  private OneUpstream oneUpstream() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    Upstream upstream = resources.track(new Upstream());
    Registration registration = registerUpstream(resources.registryClient(cp), "u1", upstream);
    return new OneUpstream(upstream, registration, channel("vertice:///echo", resources.watchClient(cp)));
  }

  private Registration registerUpstream(RegistryClient registry, String id, Upstream upstream) {
    return registry.register(InstanceSpec.builder("echo").instanceId(id).address("127.0.0.1")
        .port(upstream.port()).protocol(Protocol.PROTOCOL_GRPC).build());
  }

  private ManagedChannel channel(String target, WatchClient watch) {
    return resources.channel(ManagedChannelBuilder.forTarget(target).usePlaintext()
        .setNameResolverArg(VerticeNameResolverProvider.WATCH_CLIENT, watch)
        .build());
  }

  private static HealthCheckResponse call(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel)
        .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
  }

  @Test
  void callsAreBalancedOverInstancesAndStopReachingADeregisteredOneWithoutANewChannel() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    Upstream first = resources.track(new Upstream());
    Upstream second = resources.track(new Upstream());
    RegistryClient registry = resources.registryClient(cp);
    registerUpstream(registry, "first", first);
    Registration secondRegistration = registerUpstream(registry, "second", second);
    WatchClient watch = resources.watchClient(cp);
    ManagedChannel channel = channel("vertice:///echo", watch);

    Await.until("both upstreams serve calls", TIMEOUT, () -> {
      call(channel);
      return first.calls.get() > 0 && second.calls.get() > 0;
    });
    first.calls.set(0);
    second.calls.set(0);
    for (int i = 0; i < 20; i++) {
      call(channel);
    }
    assertEquals(10, first.calls.get(), "round robin over two ready upstreams alternates");
    assertEquals(10, second.calls.get());

    secondRegistration.deregister();
    Await.until("the removal reaches the channel", TIMEOUT, () -> {
      second.calls.set(0);
      for (int i = 0; i < 10; i++) {
        call(channel);
      }
      return second.calls.get() == 0;
    });
    first.calls.set(0);
    for (int i = 0; i < 20; i++) {
      call(channel);
    }
    assertEquals(20, first.calls.get());
    assertEquals(0, second.calls.get());
  }

  @Test
  void serviceWithoutServingInstancesFailsCallsUntilAnInstanceServes() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    Upstream upstream = resources.track(new Upstream());
    RegistryClient registry = resources.registryClient(cp);
    Registration r = registry.register(InstanceSpec.builder("echo").instanceId("u1").address("127.0.0.1")
        .port(upstream.port()).health(HealthStatus.HEALTH_STATUS_NOT_SERVING).build());
    WatchClient watch = resources.watchClient(cp);
    ManagedChannel channel = channel("vertice:///echo", watch);

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(channel));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("none SERVING"), e.getStatus().getDescription());

    r.setHealth(HealthStatus.HEALTH_STATUS_SERVING);
    Await.until("the instance serves", TIMEOUT, () -> {
      try {
        call(channel);
        return true;
      } catch (StatusRuntimeException notYet) {
        return false;
      }
    });
    assertTrue(upstream.calls.get() > 0);
  }

  /**
   * The last SERVING instance turns DRAINING: new calls on the channel fail at once with
   * UNAVAILABLE and none reaches it (plain round_robin would keep calling it); once it serves
   * again, calls on the same channel succeed.
   */
  @Test
  void drainingTheLastServingInstanceFailsNewCallsAtOnceUntilItServesAgain() throws Exception {
    OneUpstream echo = oneUpstream();
    Upstream upstream = echo.upstream();
    Registration r = echo.registration();
    ManagedChannel channel = echo.channel();
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, call(channel).getStatus());

    r.setHealth(HealthStatus.HEALTH_STATUS_DRAINING);

    Await.until("the drain reaches the channel", TIMEOUT, () -> {
      try {
        call(channel);
        return false;
      } catch (StatusRuntimeException e) {
        return true;
      }
    });
    int reached = upstream.calls.get();
    for (int i = 0; i < 20; i++) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(channel));
      // UNAVAILABLE, not DEADLINE_EXCEEDED: the call failed at once instead of waiting for an address.
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(e.getStatus().getDescription().startsWith("no SERVING instance of echo: "),
          e.getStatus().getDescription());
    }
    assertEquals(reached, upstream.calls.get(), "no call reached the drained instance");
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, channel.getState(false));

    r.setHealth(HealthStatus.HEALTH_STATUS_SERVING);

    Await.until("calls succeed again on the same channel", TIMEOUT, () -> {
      try {
        return call(channel).getStatus() == HealthCheckResponse.ServingStatus.SERVING;
      } catch (StatusRuntimeException notYet) {
        return false;
      }
    });
    assertTrue(upstream.calls.get() > reached);
  }

  @Test
  void deregisteringTheLastInstanceFailsNewCallsAtOnce() throws Exception {
    OneUpstream echo = oneUpstream();
    Upstream upstream = echo.upstream();
    Registration r = echo.registration();
    ManagedChannel channel = echo.channel();
    call(channel);

    r.deregister();

    Await.until("the removal reaches the channel", TIMEOUT, () -> {
      try {
        call(channel);
        return false;
      } catch (StatusRuntimeException e) {
        return e.getStatus().getCode() == Status.Code.UNAVAILABLE;
      }
    });
    int reached = upstream.calls.get();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(channel));
    assertTrue(e.getStatus().getDescription().contains("no instances"), e.getStatus().getDescription());
    assertEquals(reached, upstream.calls.get());
  }

  @Test
  void theDrainAwarePolicyIsRegisteredAndSelectedByTheResolversServiceConfig() {
    assertInstanceOf(VerticeRoundRobinLoadBalancerProvider.class,
        LoadBalancerRegistry.getDefaultRegistry().getProvider(VerticeRoundRobinLoadBalancerProvider.POLICY_NAME));
    assertEquals(Map.of("loadBalancingConfig", List.of(
            Map.of("vertice_round_robin", Map.of("service", "echo")), Map.of("round_robin", Map.of()))),
        VerticeNameResolver.serviceConfig("echo"));
  }

  @Test
  void policyConfigIsParsedWithoutThrowing() {
    VerticeRoundRobinLoadBalancerProvider provider = new VerticeRoundRobinLoadBalancerProvider();

    assertEquals(new VerticeRoundRobinLoadBalancer.Config("echo"),
        provider.parseLoadBalancingPolicyConfig(Map.of("service", "echo")).getConfig());
    assertEquals(new VerticeRoundRobinLoadBalancer.Config(null),
        provider.parseLoadBalancingPolicyConfig(Map.of()).getConfig());
    Status wrongType = provider.parseLoadBalancingPolicyConfig(Map.of("service", 7.0)).getError();
    assertEquals(Status.Code.INVALID_ARGUMENT, wrongType.getCode());
    assertTrue(wrongType.getDescription().contains("7.0"), wrongType.getDescription());
    Status unknown = provider.parseLoadBalancingPolicyConfig(Map.of("choiceCount", 2.0)).getError();
    assertTrue(unknown.getDescription().contains("choiceCount"), unknown.getDescription());
  }

  @Test
  void unknownServiceFailsCallsWithUnavailable() {
    TestControlPlane cp = resources.controlPlane();
    WatchClient watch = resources.watchClient(cp);
    ManagedChannel channel = channel("vertice:///nobody", watch);

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(channel));

    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("no instances"), e.getStatus().getDescription());
  }

  @Test
  void aProviderRegisteredWithItsOwnWatchClientResolvesPlainTargets() throws Exception {
    TestControlPlane cp = resources.controlPlane();
    Upstream upstream = resources.track(new Upstream());
    RegistryClient registry = resources.registryClient(cp);
    registry.register(InstanceSpec.builder("OSINT_SERVICE").instanceId("o1").address("127.0.0.1")
        .port(upstream.port()).build());
    WatchClient watch = resources.watchClient(cp);
    VerticeNameResolverProvider provider = new VerticeNameResolverProvider(watch);
    NameResolverRegistry.getDefaultRegistry().register(provider);
    resources.track(() -> NameResolverRegistry.getDefaultRegistry().deregister(provider));
    assertEquals(provider, NameResolverRegistry.getDefaultRegistry().getProviderForScheme("vertice"),
        "an explicit provider outranks the default one");

    ManagedChannel channel = resources.channel(
        ManagedChannelBuilder.forTarget("vertice:///OSINT_SERVICE").usePlaintext().build());

    assertEquals(HealthCheckResponse.ServingStatus.SERVING, call(channel).getStatus());
    assertEquals(1, upstream.calls.get());
  }

  @Test
  void theDefaultProviderIsFoundThroughTheServiceLoader() {
    assertInstanceOf(VerticeNameResolverProvider.class,
        NameResolverRegistry.getDefaultRegistry().getProviderForScheme(VerticeNameResolverProvider.SCHEME));
  }

  @Test
  void targetsNameOneServiceWithoutAuthority() {
    assertEquals("osint-service", VerticeNameResolverProvider.serviceName(URI.create("vertice:///OSINT_SERVICE")));
    assertThrows(IllegalArgumentException.class,
        () -> VerticeNameResolverProvider.serviceName(URI.create("vertice://cp:7700/echo")));
    assertThrows(IllegalArgumentException.class,
        () -> VerticeNameResolverProvider.serviceName(URI.create("vertice:///")));
    assertThrows(IllegalArgumentException.class,
        () -> VerticeNameResolverProvider.serviceName(URI.create("vertice:///a/b")));
    assertThrows(IllegalArgumentException.class,
        () -> VerticeNameResolverProvider.serviceName(URI.create("vertice:echo")));
    assertNull(new VerticeNameResolverProvider().newNameResolver(URI.create("dns:///echo"), null),
        "other schemes are not ours");
  }
}
