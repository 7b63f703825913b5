package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import dev.vertice.api.stats.v1.ReportStatsRequest;
import dev.vertice.api.stats.v1.ReportStatsResponse;
import dev.vertice.api.stats.v1.StatsServiceGrpc;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.controlplane.store.LatencyHistogram;
import dev.vertice.controlplane.store.StatsStore;
import dev.vertice.controlplane.store.StatsWindow;
import dev.vertice.testkit.RedisServer;
import io.grpc.stub.StreamObserver;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stats reported to different replicas are summed in Redis: every replica's window sees them all. */
class RedisStatsStoreTest {

  @TempDir
  Path dir;

  private RedisServer redis;
  private final List<Replica> replicas = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    redis = new RedisServer(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Replica r : replicas) {
      r.close();
    }
    redis.close();
  }

  private Replica replica() throws Exception {
    Replica r = new Replica(RedisStoreConfig.parse(redis.url()));
    replicas.add(r);
    return r;
  }

  private static VersionStats entry(String version, long requests, long errors, List<Double> bounds,
      List<Long> counts) {
    return VersionStats.newBuilder().setService("shop").setVersion(version).setRequests(requests).setErrors(errors)
        .addAllLatencyBoundsSeconds(bounds).addAllLatencyCounts(counts).build();
  }

  private static ReportStatsResponse report(Replica r, VersionStats... stats) throws Exception {
    CompletableFuture<ReportStatsResponse> done = new CompletableFuture<>();
    StreamObserver<ReportStatsRequest> requests = StatsServiceGrpc.newStub(r.channel).reportStats(
        new StreamObserver<>() {
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
    requests.onNext(ReportStatsRequest.newBuilder().setReporter("gw").setIntervalStart(Timestamp.newBuilder()
        .setSeconds(1)).setIntervalEnd(Timestamp.newBuilder().setSeconds(2)).addAllStats(List.of(stats)).build());
    requests.onCompleted();
    return done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void statsReportedToTwoReplicasAreSummedForAControllerOnEither() throws Exception {
    Replica a = replica();
    Replica b = replica();
    // Only versions the registry knows are kept.
    for (String version : List.of("v1", "v2")) {
      a.controlPlane.store().register(dev.vertice.api.registry.v1.Instance.newBuilder().setService("shop")
          .setInstanceId("shop-" + version).setAddress("127.0.0.1").setPort(8000).setVersion(version).setWeight(1)
          .setProtocol(dev.vertice.api.registry.v1.Protocol.PROTOCOL_HTTP).build(), Duration.ofMinutes(5),
          Duration.ofMinutes(5));
    }
    dev.vertice.testkit.Await.until("both replicas know shop v1 and v2", Duration.ofSeconds(10),
        () -> replicas.stream().allMatch(r -> r.controlPlane.registry().instanceCount("shop") == 2));
    long from = System.currentTimeMillis();
    assertEquals(1, report(a, entry("v2", 100, 5, List.of(0.1, 0.5), List.of(90L, 9L, 1L)),
        entry("v1", 1000, 1, List.of(0.1, 0.5), List.of(1000L, 0L, 0L))).getBatchesAccepted());
    report(b, entry("v2", 50, 0, List.of(0.1, 0.5), List.of(50L, 0L, 0L)));
    long to = System.currentTimeMillis() + 1;
    for (Replica r : replicas) {
      StatsWindow v2 = r.controlPlane.stats().window("shop", "v2", from, to);
      assertEquals(150, v2.requests());
      assertEquals(5, v2.errors());
      assertEquals(new LatencyHistogram(List.of(0.1, 0.5), List.of(140L, 9L, 1L)), v2.latency());
      assertEquals(1000, r.controlPlane.stats().window("shop", "v1", from, to).requests());
    }
    RedisClient client = RedisClient.create(redis.url());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      List<String> keys = c.sync().keys(RedisStoreConfig.DEFAULT_PREFIX + ":stats:shop:v2:*");
      assertTrue(!keys.isEmpty());
      for (String k : keys) {
        long ttl = c.sync().ttl(k);
        assertTrue(ttl > 0 && ttl <= StatsStore.DEFAULT_RETENTION.toSeconds() + 60, k + " expires: " + ttl);
      }
    } finally {
      client.shutdown();
    }
  }

  @Test
  void boundsBeyondTheLimitOfOneBucketCountAsOverflow() throws Exception {
    try (ScriptedRedis shared = new ScriptedRedis(RedisStoreConfig.parse(redis.url()))) {
      RedisStatsStore store = new RedisStatsStore(shared, Duration.ofMinutes(1));
      List<Double> first = new ArrayList<>();
      List<Double> second = new ArrayList<>();
      List<Long> ones = new ArrayList<>();
      for (int i = 1; i <= StatsStore.MAX_MERGED_BOUNDS; i++) {
        first.add(i * 0.01);
        second.add(i * 0.01 + 0.001);
        ones.add(1L);
      }
      ones.add(0L);
      store.add(500, List.of(entry("v1", 64, 0, first, ones)));
      store.add(500, List.of(entry("v1", 64, 0, second, ones)));
      StatsWindow w = store.window("shop", "v1", 500_000, 501_000);
      assertEquals(128, w.requests());
      assertEquals(first, w.latency().bounds());
      assertEquals(64, w.latency().counts().get(64), "the second reporter's bounds were not kept: overflow");
    }
  }

  @Test
  void aLongWindowIsReadInChunksAndSummedWhole() throws Exception {
    try (ScriptedRedis shared = new ScriptedRedis(RedisStoreConfig.parse(redis.url()))) {
      RedisStatsStore store = new RedisStatsStore(shared, Duration.ofMinutes(15));
      for (long second : new long[] {1000, 1059, 1060, 1200, 1899, 1900}) {
        store.add(second, List.of(entry("v2", 10, 1, List.of(0.1), List.of(9L, 1L))));
      }
      StatsWindow w = store.window("shop", "v2", 1_000_000, 1_900_000);
      assertEquals(50, w.requests(), "seconds 1000-1899 hold five reports: " + RedisStatsStore.WINDOW_CHUNK_SECONDS
          + " s per script call");
      assertEquals(5, w.errors());
      assertEquals(new LatencyHistogram(List.of(0.1), List.of(45L, 5L)), w.latency());
    }
  }

  @Test
  void aFullBatchIsAddedInChunksThatEachHoldRedisBriefly() throws Exception {
    RedisClient client = RedisClient.create(redis.url());
    try (ScriptedRedis shared = new ScriptedRedis(RedisStoreConfig.parse(redis.url()));
        StatefulRedisConnection<String, String> c = client.connect()) {
      RedisStatsStore store = new RedisStatsStore(shared, Duration.ofMinutes(15), 2048);
      List<Double> bounds = new ArrayList<>();
      List<Long> counts = new ArrayList<>();
      for (int i = 1; i <= StatsStore.MAX_MERGED_BOUNDS; i++) {
        bounds.add(i * 0.001);
        counts.add(1L);
      }
      counts.add(0L);
      List<VersionStats> batch = new ArrayList<>();
      for (int i = 0; i < 1024; i++) {
        batch.add(VersionStats.newBuilder().setService("s" + i).setVersion("v1").setRequests(64)
            .addAllLatencyBoundsSeconds(bounds).addAllLatencyCounts(counts).build());
      }
      // Script calls over 200 us are logged (the commands inside a script are logged too when slower).
      c.sync().configSet("slowlog-log-slower-than", "200");
      c.sync().configSet("slowlog-max-len", "1024");
      c.sync().slowlogReset();
      long before = usedMemory(c.sync().info("memory"));
      assertEquals(0, store.add(700, batch, v -> false));
      long added = usedMemory(c.sync().info("memory")) - before;
      long longest = 0;
      int scripts = 0;
      for (Object e : c.sync().slowlogGet(1024)) {
        List<?> entry = (List<?>) e;
        String command = String.valueOf(((List<?>) entry.get(3)).get(0));
        if (command.equalsIgnoreCase("EVALSHA") || command.equalsIgnoreCase("EVAL")) {
          scripts++;
          longest = Math.max(longest, (Long) entry.get(2));
        }
      }
      c.sync().configSet("slowlog-log-slower-than", "10000");
      assertEquals(64, store.window("s1023", "v1", 700_000, 701_000).requests());
      assertEquals(1024, store.seriesCount());
      System.out.printf("RedisStatsStoreTest: a batch of 1024 entries x 64 bounds in %d script calls: %d over 200 us,"
          + " longest %d us; %d KiB added%n", 1024 / RedisStatsStore.ADD_CHUNK_ENTRIES, scripts, longest, added / 1024);
    } finally {
      client.shutdown();
    }
  }

  private static long usedMemory(String info) {
    for (String line : info.split("\\r?\\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new AssertionError("no used_memory in " + info);
  }
}
