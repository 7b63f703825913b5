package dev.vertice.interop.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Empty;
import dev.vertice.controlplane.push.Convergence;
import dev.vertice.controlplane.xds.XdsTypes;
import dev.vertice.testkit.Await;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's own xDS client (grpc-xds) against the control plane: a channel to {@code
 * xds:///service} with a bootstrap file naming the control plane as its ADS server.
 *
 * <p>grpc-java reads the bootstrap once per JVM (system property {@code io.grpc.xds.bootstrap},
 * else the {@code GRPC_XDS_BOOTSTRAP} environment variable), so this class holds one control plane
 * for all its tests, and each test uses services of its own.
 */
class GrpcJavaXdsInteropTest {

  @TempDir
  static Path dir;

  private static XdsFixture fixture;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void startControlPlane() throws Exception {
    fixture = new XdsFixture();
    Path bootstrap = dir.resolve("bootstrap.json");
    Files.writeString(bootstrap, fixture.bootstrapJson("grpc-java-interop"));
    System.setProperty("io.grpc.xds.bootstrap", bootstrap.toString());
  }

  @AfterAll
  static void stopControlPlane() throws Exception {
    System.clearProperty("io.grpc.xds.bootstrap");
    fixture.close();
  }

  @AfterEach
  void closeChannelsAndUpstreams() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    fixture.closeUpstreams();
  }

  private ManagedChannel channel(String service) {
    ManagedChannel c = ManagedChannelBuilder.forTarget("xds:///" + service).usePlaintext().build();
    channels.add(c);
    return c;
  }

  private static String call(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(channel, WhoUpstream.NAME,
        CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), Empty.getDefaultInstance()).getValue();
  }

  /** The first call waits for xDS resolution; calls fail until the resources arrive. */
  private static String firstCall(ManagedChannel channel) {
    return Await.value("a first call through xDS", Duration.ofSeconds(20), () -> {
      try {
        return call(channel);
      } catch (StatusRuntimeException e) {
        return null;
      }
    });
  }

  @Test
  void callsReachEveryRegisteredInstanceAndStopReachingARemovedOne() throws Exception {
    String service = "xds-java-follow";
    WhoUpstream a = fixture.start(service, "a", "v1");
    WhoUpstream b = fixture.start(service, "b", "v1");
    WhoUpstream c = fixture.start(service, "c", "v1");
    ManagedChannel channel = channel(service);

    firstCall(channel);
    Set<String> seen = new HashSet<>();
    Await.until("calls reach a, b and c", () -> {
      seen.add(call(channel));
      return seen.equals(Set.of("a", "b", "c"));
    });

    long removedAt = fixture.deregister(service, b);
    // The client's ACK of the new assignment is what completes the change's convergence.
    Convergence converged = fixture.controlPlane().engine()
        .whenConverged(XdsTypes.ENDPOINT, service, removedAt).get(10, TimeUnit.SECONDS);
    assertTrue(converged.complete(), converged.toString());
    assertTrue(converged.subscribers() >= 1, converged.toString());
    assertEquals(0, converged.nacks(), converged.toString());
    System.out.printf("grpc-java xDS: removal converged (ACKed) in %.1f ms by %d subscriber(s)%n",
        converged.nanos() / 1e6, converged.subscribers());

    // The picker is swapped on the channel's own thread after the ACK: wait for it, then check.
    int[] run = {0};
    Await.until("100 calls in a row avoid the removed instance", () -> {
      run[0] = call(channel).equals("b") ? 0 : run[0] + 1;
      return run[0] >= 100;
    });
    long bCalls = b.calls.get();
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      counts.merge(call(channel), 1, Integer::sum);
    }
    assertEquals(Set.of("a", "c"), counts.keySet(), counts.toString());
    assertEquals(bCalls, b.calls.get(), "the removed instance received calls");
    assertTrue(a.calls.get() > 0 && c.calls.get() > 0);
  }

  @Test
  void newInstanceStartsReceivingCalls() throws Exception {
    String service = "xds-java-add";
    fixture.start(service, "a", "v1");
    ManagedChannel channel = channel(service);
    assertEquals("a", firstCall(channel));

    fixture.start(service, "b", "v1");
    Await.until("calls reach the new instance b", () -> call(channel).equals("b"));
  }

  @Test
  void canaryWeightsAreHonouredWithinThreePointsOver5000Calls() throws Exception {
    String service = "xds-java-canary";
    fixture.start(service, "stable", "v1");
    fixture.start(service, "canary", "v2");
    ManagedChannel channel = channel(service);
    firstCall(channel);

    // All to v1 first: once 100 calls in a row reach stable, the client routes by policy.
    fixture.split(service, "v1", 100, "v2", 0);
    int[] run = {0};
    Await.until("100 calls in a row reach v1", () -> {
      run[0] = call(channel).equals("stable") ? run[0] + 1 : 0;
      return run[0] >= 100;
    });
    fixture.split(service, "v1", 80, "v2", 20);
    // The first canary answer shows the new split is in use (v2 had no traffic before).
    Await.until("a call reaches the canary", () -> call(channel).equals("canary"));

    Map<String, Integer> counts = calls(channel, 5000);
    double canaryShare = 100.0 * counts.getOrDefault("canary", 0) / 5000;
    System.out.printf("grpc-java xDS canary 80/20 over 5000 calls: %s, canary %.2f%%%n", counts, canaryShare);
    assertEquals(Set.of("stable", "canary"), counts.keySet(), counts.toString());
    assertTrue(Math.abs(canaryShare - 20.0) <= 3.0, "canary share " + canaryShare + "% is not 20% +- 3 points");
  }

  /** Makes {@code n} calls, at most 50 at a time; returns instance id to count. */
  private static Map<String, Integer> calls(ManagedChannel channel, int n) throws Exception {
    Map<String, Integer> counts = new HashMap<>();
    for (int done = 0; done < n; ) {
      int batch = Math.min(50, n - done);
      List<com.google.common.util.concurrent.ListenableFuture<com.google.protobuf.StringValue>> futures =
          new ArrayList<>(batch);
      for (int i = 0; i < batch; i++) {
        futures.add(ClientCalls.futureUnaryCall(channel.newCall(WhoUpstream.NAME,
            CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)), Empty.getDefaultInstance()));
      }
      for (var f : futures) {
        counts.merge(f.get().getValue(), 1, Integer::sum);
      }
      done += batch;
    }
    return counts;
  }
}
