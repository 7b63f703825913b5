package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, defect 11: replicas whose clocks disagree by 45 s, on one real Redis. Stats are keyed by
 * Redis's clock, so a window cut on one replica holds what another received; without the shared
 * clock (the old behaviour, kept as a control) the skewed replica's stats fall outside the window.
 */
@Timeout(60)
class StatsClockSkewTest {

  @TempDir
  Path dir;

  private RedisServer redis;
  private final List<AutoCloseable> open = new ArrayList<>();

  /** A replica on the test's Redis as {@code configure} sets it up, closed after the test. */
  private Replica replica(UnaryOperator<ControlPlane.Builder> configure) throws Exception {
    Replica r = new Replica(configure.apply(ControlPlane.builder().redis(RedisStoreConfig.parse(redis.url()))));
    open.add(r);
    return r;
  }

  /** A control plane on Redis behind an in-process server. */
  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private static ReportStatsResponse report(Replica to, String version, long requests) throws Exception {
    CompletableFuture<ReportStatsResponse> done = new CompletableFuture<>();
    StreamObserver<ReportStatsRequest> requestsOut = StatsServiceGrpc.newStub(to.channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).reportStats(new StreamObserver<>() {
          @Override
          public void onNext(ReportStatsResponse value) {
            done.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    requestsOut.onNext(ReportStatsRequest.newBuilder().setReporter("gw")
        .setIntervalStart(Timestamp.newBuilder().setSeconds(1)).setIntervalEnd(Timestamp.newBuilder().setSeconds(2))
        .addStats(VersionStats.newBuilder().setService("shop").setVersion(version).setRequests(requests)).build());
    requestsOut.onCompleted();
    return done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void statsReceivedByAReplicaWhoseClockIsAheadLandInTheWindowAnotherReplicaCuts() throws Exception {
    redis = new RedisServer(dir);
    Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(45));
    Replica leader = replica(b -> b);
    Replica skewed = replica(b -> b.wallClock(ahead));
    Replica skewedUnshared = replica(b -> b.wallClock(ahead).sharedClock(false));
    for (String version : List.of("v1", "v2")) {
      leader.controlPlane.store().register(Instance.newBuilder().setService("shop").setInstanceId("shop-" + version)
          .setAddress("127.0.0.1").setPort(8000).setVersion(version).setWeight(1).setProtocol(Protocol.PROTOCOL_HTTP)
          .build(), Duration.ofMinutes(5), Duration.ofMinutes(5));
    }
    Await.until("every replica knows shop v1 and v2", Duration.ofSeconds(20), () -> open.stream()
        .allMatch(n -> ((Replica) n).controlPlane.registry().instanceCount("shop") == 2));

    long skew = skewed.controlPlane.wallClock().millis() - leader.controlPlane.wallClock().millis();
    assertTrue(Math.abs(skew) < 2_000, "both replicas read Redis's clock: " + skew + " ms apart");

    long from = leader.controlPlane.wallClock().millis();
    assertEquals(1, report(skewed, "v1", 10).getBatchesAccepted());
    assertEquals(1, report(skewedUnshared, "v2", 10).getBatchesAccepted());
    long to = leader.controlPlane.wallClock().millis() + 1;
    assertEquals(10, leader.controlPlane.stats().window("shop", "v1", from - 2_000, to + 2_000).requests(),
        "the skewed replica keyed its bucket by Redis's second");
    assertEquals(0, leader.controlPlane.stats().window("shop", "v2", from - 2_000, to + 2_000).requests(),
        "control: by its own clock, the bucket lies 45 s in the leader's future");
  }
}
