package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.TestDeadlines;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Canary weights on {@code vertice:///echo} channels: a real control plane pushes the service's
 * TrafficPolicy to a watch client, the channel's {@code vertice_round_robin} splits real calls
 * between real upstream servers of versions v1 and v2 on loopback.
 */
class VerticeTrafficPolicyTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int BATCH = 100;

  @RegisterExtension
  final TestResources resources = new TestResources();

  private TestControlPlane cp;
  private Upstream v1;
  private Upstream v2;
  private Registration v1Registration;
  private Registration v2Registration;

  /** Starts the control plane and registers one upstream of v1 and one of v2 under echo. */
  private void startEcho() throws Exception {
    cp = resources.controlPlane();
    v1 = resources.track(new Upstream());
    v2 = resources.track(new Upstream());
    // A generous call timeout: on a loaded machine the first call of a cold JVM can take seconds.
    RegistryClient registry = resources.track(RegistryClient.builder().controlPlane(cp.address())
        .callTimeout(Duration.ofSeconds(30)).build());
    v1Registration = register(registry, "u1", "v1", v1);
    v2Registration = register(registry, "u2", "v2", v2);
  }

  private static Registration register(RegistryClient registry, String id, String version, Upstream upstream) {
    return registry.register(InstanceSpec.builder("echo").instanceId(id).version(version)
        .address("127.0.0.1").port(upstream.port()).protocol(Protocol.PROTOCOL_GRPC).build());
  }

  /** A watch client built like the default provider's: it watches traffic policies. */
  private WatchClient policyWatchClient() {
    return resources.track(VerticeNameResolverProvider.newDefault(ControlPlaneAddresses.of(cp.address())));
  }

  private ManagedChannel channel(WatchClient watch) {
    return resources.channel(ManagedChannelBuilder.forTarget("vertice:///echo").usePlaintext()
        .setNameResolverArg(VerticeNameResolverProvider.WATCH_CLIENT, watch)
        .build());
  }

  private void setPolicy(int v1Weight, int v2Weight) throws Exception {
    cp.controlPlane.trafficPolicies().put(TrafficPolicy.newBuilder().setService("echo")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(v1Weight))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(v2Weight))
        .build());
  }

  private static HealthCheckResponse call(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel)
        .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
  }

  /** Makes {@code n} calls, {@value #BATCH} at a time in flight; fails on the first failed call. */
  private static void calls(ManagedChannel channel, int n) throws InterruptedException {
    HealthGrpc.HealthFutureStub stub = HealthGrpc.newFutureStub(channel);
    for (int done = 0; done < n; done += BATCH) {
      List<ListenableFuture<HealthCheckResponse>> inFlight = new ArrayList<>();
      for (int i = 0; i < Math.min(BATCH, n - done); i++) {
        inFlight.add(stub.withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
      }
      for (ListenableFuture<HealthCheckResponse> f : inFlight) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw new AssertionError("a call failed: " + e.getCause(), e.getCause());
        }
      }
    }
  }

  /** Resets the counters, makes {@code n} calls and returns how many reached v2. */
  private int v2Share(ManagedChannel channel, int n) throws InterruptedException {
    v1.calls.set(0);
    v2.calls.set(0);
    calls(channel, n);
    assertEquals(n, v1.calls.get() + v2.calls.get(), "every call reached v1 or v2");
    return v2.calls.get();
  }

  @Test
  void callsFollowTheWeightsAndEveryPushedChangeWithoutANewChannel() throws Exception {
    startEcho();
    setPolicy(90, 10);
    WatchClient watch = policyWatchClient();
    ManagedChannel channel = channel(watch);
    Await.until("both versions serve calls", TIMEOUT, () -> {
      call(channel);
      return v1.calls.get() > 0 && v2.calls.get() > 0;
    });

    long start = System.nanoTime();
    int toV2 = v2Share(channel, 10_000);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("90/10 policy: v2 got %d of 10000 calls (%.2f %%), v1 %d; %d ms%n",
        toV2, toV2 / 100.0, 10_000 - toV2, millis);
    assertTrue(Math.abs(toV2 - 1_000) <= 200, "v2 got " + toV2 + " of 10000 calls; expected 10 % ± 2 pp");

    setPolicy(0, 100);
    Await.until("the 0/100 policy reaches the channel", TIMEOUT, () -> {
      try {
        return v2Share(channel, BATCH) == BATCH;
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    assertEquals(1_000, v2Share(channel, 1_000), "weight 0 gets no call");

    cp.controlPlane.trafficPolicies().remove("echo");
    Await.until("the removal reaches the channel: plain round-robin again", TIMEOUT, () -> {
      try {
        return v2Share(channel, 20) == 10;
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    assertEquals(100, v2Share(channel, 200), "round-robin over both versions alternates");
  }

  @Test
  void theFirstCallsOfANewChannelOnAWarmWatchClientFollowThePolicy() throws Exception {
    startEcho();
    setPolicy(100, 0);
    WatchClient watch = policyWatchClient();
    watch.awaitService("echo", TIMEOUT);
    Await.until("the watch client holds the policy", TIMEOUT, () -> watch.policy("echo").isPresent());
    ManagedChannel channel = channel(watch);
    assertEquals(0, v2Share(channel, 200), "no call of a fresh channel reached v2 (weight 0)");
  }

  @Test
  void aSubsetWhoseConnectionsAreNotReadyYieldsToTheOthers() throws Exception {
    startEcho();
    setPolicy(50, 50);
    ManagedChannel channel = channel(policyWatchClient());
    Await.until("both versions serve calls", TIMEOUT, () -> {
      call(channel);
      return v1.calls.get() > 0 && v2.calls.get() > 0;
    });

    v2.close(); // still registered SERVING: only its connection fails
    Await.until("calls stop failing on the closed v2", TIMEOUT, () -> {
      try {
        calls(channel, BATCH);
        return true;
      } catch (AssertionError | InterruptedException notYet) {
        return false;
      }
    });
    assertEquals(0, v2Share(channel, 500), "every call went to v1 (v2 is closed)");

    v1.close(); // no subset can connect: calls fail as with round_robin, they do not hang
    Await.until("calls fail fast with both versions closed", TIMEOUT, () -> {
      try {
        HealthGrpc.newBlockingStub(channel)
            .withInterceptors(TestDeadlines.grpc()).withDeadlineAfter(30, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance());
        return false;
      } catch (StatusRuntimeException e) {
        return e.getStatus().getCode() == Status.Code.UNAVAILABLE;
      }
    });
  }

  @Test
  void drainingWithAPolicyShiftsCallsThenFailsThemWhenNoSubsetIsLeft() throws Exception {
    startEcho();
    setPolicy(50, 50);
    ManagedChannel channel = channel(policyWatchClient());
    Await.until("both versions serve calls", TIMEOUT, () -> {
      call(channel);
      return v1.calls.get() > 0 && v2.calls.get() > 0;
    });

    v2Registration.setHealth(HealthStatus.HEALTH_STATUS_DRAINING);
    Await.until("the drain of v2 reaches the channel", TIMEOUT, () -> {
      try {
        return v2Share(channel, BATCH) == 0;
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });

    // v2 only: v1's subset has weight 0, and v2 has no SERVING instance: no call goes anywhere.
    setPolicy(0, 100);
    Await.until("calls fail", TIMEOUT, () -> {
      try {
        call(channel);
        return false;
      } catch (StatusRuntimeException e) {
        return true;
      }
    });
    int reachedV1 = v1.calls.get();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(channel));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("no SERVING instance of echo: the traffic policy [v1=0, v2=100]"),
        e.getStatus().getDescription());
    assertEquals(reachedV1, v1.calls.get(), "no failed call reached v1");

    v2Registration.setHealth(HealthStatus.HEALTH_STATUS_SERVING);
    Await.until("v2 serves again on the same channel", TIMEOUT, () -> {
      try {
        call(channel);
        return true;
      } catch (StatusRuntimeException notYet) {
        return false;
      }
    });
    assertEquals(BATCH, v2Share(channel, BATCH));
  }

  @Test
  void aWatchClientThatDoesNotWatchPoliciesBalancesOverEveryServingInstance() throws Exception {
    startEcho();
    setPolicy(90, 10);
    WatchClient plain = resources.watchClient(cp);
    assertFalse(plain.watchesTrafficPolicies());
    ManagedChannel channel = channel(plain);
    Await.until("both versions are connected", TIMEOUT, () -> {
      try {
        return v2Share(channel, 20) == 10;
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    assertEquals(100, v2Share(channel, 200), "the policy is not seen: plain round-robin");
  }

  @Test
  void theDefaultProvidersWatchClientWatchesPolicies() throws Exception {
    cp = resources.controlPlane();
    assertTrue(policyWatchClient().watchesTrafficPolicies());
  }
}
