package dev.vertice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.common.ZoneConfig;
import dev.vertice.testkit.Await;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Zone-aware routing and peak-EWMA balancing on {@code vertice:///echo} channels: a real control
 * plane, real upstream gRPC servers on loopback, real calls.
 */
@Timeout(120)
class VerticeZoneLatencyTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @RegisterExtension
  final TestResources resources = new TestResources();

  private TestControlPlane cp;
  private WatchClient watch;
  private final List<Upstream> upstreams = new ArrayList<>();

  /** Registers one upstream per zone listed, as instances of echo. */
  private void start(String... zones) throws Exception {
    cp = resources.controlPlane();
    RegistryClient registry = resources.track(RegistryClient.builder().controlPlane(cp.address())
        .callTimeout(Duration.ofSeconds(30)).build());
    for (int i = 0; i < zones.length; i++) {
      Upstream u = resources.track(new Upstream());
      upstreams.add(u);
      registry.register(InstanceSpec.builder("echo").instanceId("u" + i).zone(zones[i]).address("127.0.0.1")
          .port(u.port()).protocol(Protocol.PROTOCOL_GRPC).build());
    }
    watch = resources.track(VerticeNameResolverProvider.newDefault(ControlPlaneAddresses.of(cp.address())));
  }

  private ManagedChannel channel(ZoneConfig zone, String lbPolicy) {
    return resources.channel(ManagedChannelBuilder.forTarget("vertice:///echo").usePlaintext()
        .setNameResolverArg(VerticeNameResolverProvider.WATCH_CLIENT, watch)
        .setNameResolverArg(VerticeNameResolverProvider.ZONE, zone)
        .setNameResolverArg(VerticeNameResolverProvider.LB_POLICY, lbPolicy)
        .build());
  }

  /** Makes {@code n} calls, {@code batch} at a time in flight; fails on the first failed call. */
  private static void calls(ManagedChannel channel, int n, int batch) {
    HealthGrpc.HealthFutureStub stub = HealthGrpc.newFutureStub(channel);
    for (int done = 0; done < n; done += batch) {
      List<ListenableFuture<HealthCheckResponse>> inFlight = new ArrayList<>();
      for (int i = 0; i < Math.min(batch, n - done); i++) {
        inFlight.add(stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
      }
      for (ListenableFuture<HealthCheckResponse> f : inFlight) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw new AssertionError("a call failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", e);
        }
      }
    }
  }

  /** Makes {@code n} calls keeping {@code concurrency} in flight (closed loop); fails on a failed call. */
  private static void closedLoop(ManagedChannel channel, int n, int concurrency) {
    HealthGrpc.HealthFutureStub stub = HealthGrpc.newFutureStub(channel);
    java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(concurrency);
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    try {
      for (int i = 0; i < n && failure.get() == null; i++) {
        if (!slots.tryAcquire(10, TimeUnit.SECONDS)) {
          throw new AssertionError("no call finished within 10 s");
        }
        ListenableFuture<HealthCheckResponse> f = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance());
        f.addListener(() -> {
          try {
            f.get();
          } catch (Exception e) {
            failure.compareAndSet(null, e);
          }
          slots.release();
        }, Runnable::run);
      }
      if (!slots.tryAcquire(concurrency, 20, TimeUnit.SECONDS)) {
        throw new AssertionError("calls still in flight after 20 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    if (failure.get() != null) {
      throw new AssertionError("a call failed: " + failure.get(), failure.get());
    }
  }

  private int sum(int from, int to) {
    int s = 0;
    for (int i = from; i < to; i++) {
      s += upstreams.get(i).calls.get();
    }
    return s;
  }

  private void reset() {
    upstreams.forEach(u -> u.calls.set(0));
  }

  @Test
  void aChannelPrefersItsZoneAsFarAsTheZoneCapacityAllows() throws Exception {
    // Zone a holds 2 of 8 instances: 25 % of the capacity for 50 % of the callers.
    start("a", "a", "b", "b", "b", "b", "b", "b");
    ManagedChannel inA = channel(ZoneConfig.custom().zone("a").build(), "round_robin");
    Await.until("every instance is reachable from zone a", TIMEOUT, () -> {
      calls(inA, 100, 100);
      return upstreams.stream().allMatch(u -> u.calls.get() > 0);
    });
    reset();
    calls(inA, 10_000, 100);
    int local = sum(0, 2);
    assertEquals(10_000, sum(0, 8));
    System.out.printf("zone a, 2 of 8 instances: %d of 10000 calls stayed local%n", local);
    assertTrue(Math.abs(local - 5_000) <= 200, local + " of 10000 stayed in zone a; expected 50 % ± 2 pp");
    // A channel in zone b (75 % of the capacity) keeps every call local.
    ManagedChannel inB = channel(ZoneConfig.custom().zone("b").build(), "round_robin");
    calls(inB, 100, 100);
    reset();
    calls(inB, 2_000, 100);
    assertEquals(2_000, sum(2, 8), "every call from zone b stays in b");
  }

  @Test
  void peakEwmaSendsTheSlowedInstanceAtMostTenPercent() throws Exception {
    start("", "", "", "");
    upstreams.get(3).delayMillis = 50;
    ManagedChannel channel = channel(ZoneConfig.ofDefaults(), "peak_ewma");
    Await.until("every instance is reachable", TIMEOUT, () -> {
      calls(channel, 16, 16);
      return upstreams.stream().allMatch(u -> u.calls.get() > 0);
    });
    closedLoop(channel, 400, 8); // warm-up: connections, compiled code, estimates
    reset();
    closedLoop(channel, 2_000, 8);
    int slow = upstreams.get(3).calls.get();
    assertEquals(2_000, sum(0, 4));
    System.out.printf("peak_ewma: the instance slowed by 50 ms got %d of 2000 calls (%.1f %%)%n", slow, slow / 20.0);
    assertTrue(slow <= 200, "the slowed instance got " + slow + " of 2000 calls");
  }
}
