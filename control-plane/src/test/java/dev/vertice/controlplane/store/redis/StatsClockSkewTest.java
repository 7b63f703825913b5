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
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
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

  /** A control plane on Redis behind an in-process server. */
  private final class Node implements AutoCloseable {
    final ControlPlane cp;
    final Server server;
    final ManagedChannel channel;

    Node(UnaryOperator<ControlPlane.Builder> configure) throws Exception {
      cp = configure.apply(ControlPlane.builder().redis(RedisStoreConfig.parse(redis.url()))).build();
      String name = InProcessServerBuilder.generateName();
      InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
      for (BindableService s : cp.services()) {
        b.addService(s);
      }
      server = b.build().start();
      channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      open.add(this);
    }

    @Override
    public void close() {
      try {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        cp.close();
      }
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private static ReportStatsResponse report(Node to, String version, long requests) throws Exception {
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
    Node leader = new Node(b -> b);
    Node skewed = new Node(b -> b.wallClock(ahead));
    Node skewedUnshared = new Node(b -> b.wallClock(ahead).sharedClock(false));
    for (String version : List.of("v1", "v2")) {
      leader.cp.store().register(Instance.newBuilder().setService("shop").setInstanceId("shop-" + version)
          .setAddress("127.0.0.1").setPort(8000).setVersion(version).setWeight(1).setProtocol(Protocol.PROTOCOL_HTTP)
          .build(), Duration.ofMinutes(5), Duration.ofMinutes(5));
    }
    Await.until("every replica knows shop v1 and v2", Duration.ofSeconds(20), () -> open.stream()
        .allMatch(n -> ((Node) n).cp.registry().instanceCount("shop") == 2));

    long skew = skewed.cp.wallClock().millis() - leader.cp.wallClock().millis();
    assertTrue(Math.abs(skew) < 2_000, "both replicas read Redis's clock: " + skew + " ms apart");

    long from = leader.cp.wallClock().millis();
    assertEquals(1, report(skewed, "v1", 10).getBatchesAccepted());
    assertEquals(1, report(skewedUnshared, "v2", 10).getBatchesAccepted());
    long to = leader.cp.wallClock().millis() + 1;
    assertEquals(10, leader.cp.stats().window("shop", "v1", from - 2_000, to + 2_000).requests(),
        "the skewed replica keyed its bucket by Redis's second");
    assertEquals(0, leader.cp.stats().window("shop", "v2", from - 2_000, to + 2_000).requests(),
        "control: by its own clock, the bucket lies 45 s in the leader's future");
  }
}
