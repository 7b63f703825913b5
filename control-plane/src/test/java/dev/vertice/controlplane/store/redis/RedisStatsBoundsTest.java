package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import dev.vertice.api.discovery.v1.Subset;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.server.StatsGrpcService;
import dev.vertice.controlplane.store.StatsLimits;
import dev.vertice.testkit.RedisServer;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, defect 3, on a real redis-server with the required noeviction policy and a few MiB of
 * headroom: stats of made-up versions, and of more series than the limit, cannot fill Redis, so
 * registry writes keep working; the stats keyspace stays bounded and measured.
 */
@Timeout(60)
class RedisStatsBoundsTest {

  @TempDir
  Path dir;

  private RedisServer redis;
  private RedisClient client;
  private RedisCommands<String, String> direct;
  private ControlPlane cp;
  private Server server;
  private ManagedChannel channel;
  private final MovableClock wall = new MovableClock(System.currentTimeMillis());

  /** A wall clock the test moves a second per batch. */
  static final class MovableClock extends Clock {
    volatile long millis;

    MovableClock(long millis) {
      this.millis = millis;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    redis = new RedisServer(dir);
    client = RedisClient.create(redis.url());
    StatefulRedisConnection<String, String> c = client.connect();
    direct = c.sync();
    cp = ControlPlane.builder().redis(RedisStoreConfig.parse(redis.url())).wallClock(wall)
        .statsLimits(StatsLimits.custom().maxSeries(8).build()).build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).directExecutor();
    for (BindableService s : cp.services()) {
      b.addService(s);
    }
    server = b.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (cp != null) {
      cp.close();
    }
    client.shutdown();
    redis.close();
  }

  private void register(String service, String version) throws Exception {
    cp.store().register(Instance.newBuilder().setService(service).setInstanceId(service + "-" + version)
        .setAddress("127.0.0.1").setPort(8000).setVersion(version).setWeight(1).setProtocol(Protocol.PROTOCOL_HTTP)
        .build(), Duration.ofMinutes(5), Duration.ofMinutes(5));
  }

  /** A full entry: 64 latency bounds, as a gateway can send. */
  private static VersionStats entry(String service, String version) {
    VersionStats.Builder v = VersionStats.newBuilder().setService(service).setVersion(version).setRequests(64);
    for (int i = 1; i <= 64; i++) {
      v.addLatencyBoundsSeconds(i * 0.001).addLatencyCounts(1);
    }
    return v.addLatencyCounts(0).build();
  }

  private ReportStatsResponse report(String reporter, List<VersionStats> stats) throws Exception {
    CompletableFuture<ReportStatsResponse> done = new CompletableFuture<>();
    StreamObserver<ReportStatsRequest> requests = StatsServiceGrpc.newStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS).reportStats(new StreamObserver<>() {
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
    requests.onNext(ReportStatsRequest.newBuilder().setReporter(reporter)
        .setIntervalStart(Timestamp.newBuilder().setSeconds(1)).setIntervalEnd(Timestamp.newBuilder().setSeconds(2))
        .addAllStats(stats).build());
    requests.onCompleted();
    return done.get(20, TimeUnit.SECONDS);
  }

  private long statsKeys() {
    long n = 0;
    ScanIterator<String> it = ScanIterator.scan(direct, ScanArgs.Builder.matches(RedisStoreConfig.DEFAULT_PREFIX
        + ":stats:*").limit(1000));
    while (it.hasNext()) {
      it.next();
      n++;
    }
    return n;
  }

  private static long usedMemory(String info) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new AssertionError("no used_memory in " + info);
  }

  @Test
  void madeUpVersionsAndSeriesBeyondTheLimitCannotFillRedisNorStopRegistryWrites() throws Exception {
    register("shop", "v1");
    register("shop", "v2");
    long t0 = System.nanoTime();
    for (int i = 0; i < 12; i++) {
      register("s" + i, "v1");
    }
    cp.trafficPolicies().put(TrafficPolicy.newBuilder().setService("shop").setRolloutId("shop-1")
        .addSubsets(Subset.newBuilder().setVersion("v1").setWeight(95))
        .addSubsets(Subset.newBuilder().setVersion("v2").setWeight(5)).build());
    // The deployment's rule: noeviction, with some headroom above what the registry uses now.
    long headroom = 4L << 20;
    direct.configSet("maxmemory-policy", "noeviction");
    direct.configSet("maxmemory", Long.toString(usedMemory(direct.info("memory")) + headroom));
    // Commands over 1 ms are logged (a few entries: the slow log's own memory stays small).
    direct.configSet("slowlog-log-slower-than", "1000");
    direct.configSet("slowlog-max-len", "128");
    direct.slowlogReset();

    long t1 = System.nanoTime();
    // 8 batches of 1024 full entries of made-up versions: about 1.1 MiB each if they were kept.
    for (int batch = 0; batch < 8; batch++) {
      List<VersionStats> fake = new ArrayList<>();
      for (int i = 0; i < 1024; i++) {
        fake.add(entry("s" + (i % 12), "fake-" + batch + "-" + i));
      }
      assertEquals(1, report("gw-" + batch, fake).getBatchesAccepted());
      wall.millis += 1_000;
    }
    long t2 = System.nanoTime();
    assertEquals(8 * 1024, cp.statsDropped(StatsGrpcService.DROPPED_UNKNOWN));
    assertEquals(0, statsKeys(), "no key was made for a version no instance runs");

    // 12 real series and the rollout's two, every second for 10 s, with a limit of 8 series.
    long from = wall.millis;
    for (int second = 0; second < 10; second++) {
      List<VersionStats> real = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        real.add(entry("s" + i, "v1"));
      }
      real.add(entry("shop", "v1"));
      real.add(entry("shop", "v2"));
      assertEquals(1, report("gw", real).getBatchesAccepted());
      wall.millis += 1_000;
    }
    long t3 = System.nanoTime();
    assertEquals(10, cp.stats().seriesCount(), "8 series and the rollout's 2 beyond the limit");
    assertEquals(10 * 10 + 1, statsKeys(), "one hash per series and second, and the series index");
    assertEquals(10 * 64, cp.stats().window("shop", "v2", from, wall.millis).requests(),
        "the candidate's traffic is all there although the store was full");
    assertEquals(4 * 10, cp.statsDropped(StatsGrpcService.DROPPED_SERIES_LIMIT),
        "the series beyond the limit were counted");

    // The registry still takes writes.
    register("after", "v1");
    assertEquals(1, cp.registry().instanceCount("after"));

    long longestMicros = 0;
    List<Object> slow = direct.slowlogGet(128);
    for (Object entry : slow) {
      longestMicros = Math.max(longestMicros, (Long) ((List<?>) entry).get(2));
    }
    System.out.printf("RedisStatsBoundsTest: register %d ms, fake %d ms, real %d ms%n", (t1 - t0) / 1_000_000,
        (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
    System.out.printf("RedisStatsBoundsTest: used_memory %d KiB over the start, %d commands over 1 ms, longest %d µs%n",
        (usedMemory(direct.info("memory")) - (Long.parseLong(direct.configGet("maxmemory").get("maxmemory"))
            - headroom)) / 1024, slow.size(), longestMicros);
  }
}
