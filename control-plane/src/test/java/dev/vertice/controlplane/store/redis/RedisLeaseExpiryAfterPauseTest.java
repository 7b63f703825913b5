package dev.vertice.controlplane.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.registry.RegistryConfig;
import dev.vertice.controlplane.registry.RegistryEvents;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.RemovalReason;
import dev.vertice.testkit.Await;
import dev.vertice.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lease expiry on a real redis-server holding 200,000 leases after a 10 s pause of every sweep (no
 * control plane ran, or none reached Redis): no lease goes before a full TTL has run since the
 * sweeps resumed, then the dead ones go in short batches while the live ones stay. The figures
 * (slowest expiry script, longest PING wait) are printed, not asserted: the machine is shared.
 * {@code -Dvertice.test.leases=1000000 -Djunit.jupiter.execution.timeout.mode=disabled} runs it at the
 * default registry limit (minutes; not in the suite).
 */
class RedisLeaseExpiryAfterPauseTest {

  private static final int LEASES = Integer.getInteger("vertice.test.leases", 200_000);
  private static final int PER_SERVICE = 100;
  private static final int LIVE_EVERY = 2_000;
  private static final long TTL_MS = 5_000;
  private static final long PAUSE_MS = 10_000;
  private static final String PREFIX = "{pause}";
  /** Writes one batch of leases as register.lua would, each renewed some ms before the last sweep ran: ARGV
   * prefix, ttl, time of the last sweep, then (service, id, lease, instance bytes, ms renewed before) per lease. */
  private static final String POPULATE = """
      local P, ttl, swept = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
      local n = 0
      for k = 4, #ARGV, 5 do
        local svc, id, lease = ARGV[k], ARGV[k + 1], ARGV[k + 2]
        redis.call('HSET', P .. ':lease:' .. lease, 's', svc, 'i', id, 't', ttl)
        redis.call('HSET', P .. ':lease-of:' .. svc, id, lease)
        redis.call('HSET', P .. ':svc:' .. svc, id, ARGV[k + 3])
        redis.call('HSET', P .. ':versions', svc, 1)
        redis.call('ZADD', P .. ':deadlines', swept - tonumber(ARGV[k + 4]) + ttl, lease)
        n = n + 1
      end
      redis.call('INCRBY', P .. ':count', n)
      redis.call('SET', P .. ':rev', 1)
      redis.call('SET', P .. ':swept', swept)
      return n
      """;

  @TempDir
  Path dir;

  private RedisServer redis;
  private RedisClient client;
  private StatefulRedisConnection<String, byte[]> connection;
  private ScheduledExecutorService scheduler;
  private RedisRegistryStore store;

  @BeforeEach
  void setUp() throws Exception {
    redis = new RedisServer(dir);
    client = RedisClient.create(redis.url());
    connection = client.connect(RedisLink.CODEC);
    scheduler = Executors.newSingleThreadScheduledExecutor();
  }

  @AfterEach
  void tearDown() {
    if (store != null) {
      store.close();
    }
    scheduler.shutdownNow();
    connection.close();
    client.shutdown();
    redis.close();
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void afterAPauseLeasesGetAFullTtlThenDeadOnesGoInShortBatchesAndLiveOnesStay() throws Exception {
    RedisCommands<String, byte[]> r = connection.sync();
    // The pause: the last sweep ran 10 s ago (what every store sees after a failover or a restart of
    // them all); every lease was renewed within the TTL before it, so all fell due during the pause.
    long swept = r.eval("local t = redis.call('TIME') return t[1] * 1000 + math.floor(t[2] / 1000) - " + PAUSE_MS,
        ScriptOutputType.INTEGER, new String[0]);
    List<String> live = populate(r, swept);
    r.configSet("slowlog-log-slower-than", "5000");
    r.configSet("slowlog-max-len", "100000");
    r.slowlogReset();

    Map<String, Long> removedAt = new ConcurrentHashMap<>();
    List<RemovalReason> reasons = java.util.Collections.synchronizedList(new ArrayList<>());
    RegistryConfig config = RegistryConfig.custom().expiryResolution(Duration.ofMillis(100)).build();
    RegistryView view = new RegistryView();
    long opened = System.currentTimeMillis();
    // The one snapshot of 200,000 instances at start is a single long script (see the report).
    store = new RedisRegistryStore(RedisStoreConfig.from(RedisStoreConfig.parse(redis.url())).prefix(PREFIX)
        .commandTimeout(Duration.ofSeconds(Math.max(20, LEASES / 10_000))).build(),
        config, view, Ticker.system(), scheduler, ControlPlane.secureIds(), new RegistryEvents() {
          @Override
          public void onRemoved(String service, String instanceId, RemovalReason reason) {
            removedAt.put(service + "/" + instanceId, System.currentTimeMillis());
            reasons.add(reason);
          }
        });
    store.start();
    long loaded = System.currentTimeMillis();
    assertEquals(LEASES, view.instanceCount());
    // The first sweep notices the pause; a later stall of Redis (a long snapshot read) may be taken
    // for another, which only delays leases that fell due within it.
    byte[] resumedAt = Await.value("the first sweep noticed the pause", Duration.ofSeconds(20),
        () -> r.get(PREFIX + ":resumed"));
    long resumed = Long.parseLong(new String(resumedAt, StandardCharsets.UTF_8));
    AtomicLong goneFromRedis = new AtomicLong();

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong longestPingMs = new AtomicLong();
    Thread keeper = new Thread(() -> keepAlive(live, running), "keepalive");
    Thread pinger = new Thread(() -> ping(running, longestPingMs), "ping");
    keeper.start();
    pinger.start();
    try {
      Await.until("every dead lease expired", Duration.ofSeconds(Math.max(100, LEASES / 2_000)), () -> {
        if (goneFromRedis.get() == 0 && Long.parseLong(ChangeLogFollower.string(r.get(PREFIX + ":count")))
            == live.size()) {
          goneFromRedis.set(System.currentTimeMillis());
        }
        return view.instanceCount() == live.size();
      });
      long done = System.currentTimeMillis();
      long first = removedAt.values().stream().mapToLong(Long::longValue).min().orElseThrow();
      assertTrue(first >= resumed + TTL_MS, "no lease expired before a full TTL after the sweeps resumed: first "
          + "removal " + (first - resumed) + " ms after they resumed");
      for (String id : live) {
        assertTrue(view.service(serviceOf(id)).instances().stream().anyMatch(i -> i.getInstanceId().equals(id)),
            "live instance " + id + " stayed");
      }
      assertEquals(LEASES - live.size(), removedAt.size(), "each dead lease counted once as an expiration");
      assertTrue(reasons.stream().allMatch(x -> x == RemovalReason.EXPIRED), "all by TTL");
      assertTrue(live.stream().noneMatch(id -> removedAt.containsKey(serviceOf(id) + "/" + id)));
      report(r, loaded - opened, first - resumed, goneFromRedis.get() - resumed, done - resumed,
          longestPingMs.get());
    } finally {
      running.set(false);
      keeper.join(5_000);
      pinger.join(5_000);
    }
  }

  /** Writes {@link #LEASES} leases renewed 0-5 s before a pause; returns the ids kept alive afterwards. */
  private List<String> populate(RedisCommands<String, byte[]> r, long swept) {
    List<String> live = new ArrayList<>();
    List<byte[]> args = new ArrayList<>();
    for (int i = 0; i < LEASES; i++) {
      String service = "svc-" + (i / PER_SERVICE);
      String id = "i-" + i;
      if (i % LIVE_EVERY == 0) {
        live.add(id);
      }
      if (args.isEmpty()) {
        args.add(bytes(PREFIX));
        args.add(bytes(Long.toString(TTL_MS)));
        args.add(bytes(Long.toString(swept)));
      }
      args.add(bytes(service));
      args.add(bytes(id));
      args.add(bytes(lease(id)));
      args.add(Instance.newBuilder().setService(service).setInstanceId(id).setAddress("10.0.0.1").setPort(80)
          .build().toByteArray());
      args.add(bytes(Long.toString(i % TTL_MS)));
      if (args.size() >= 3 + 5 * 2_000 || i == LEASES - 1) {
        r.eval(POPULATE, ScriptOutputType.INTEGER, new String[0], args.toArray(new byte[0][]));
        args.clear();
      }
    }
    return live;
  }

  /** Renews every live lease each TTL / 5, concurrently, as many clients' KeepAlive streams would. */
  private void keepAlive(List<String> live, AtomicBoolean running) {
    java.util.concurrent.ExecutorService clients = Executors.newFixedThreadPool(16);
    try {
      while (running.get()) {
        List<java.util.concurrent.Future<?>> round = new ArrayList<>();
        for (String id : live) {
          round.add(clients.submit(() -> {
            try {
              store.keepAlive(lease(id), "test-stream");
            } catch (Exception e) {
              // Redis busy or a breaker probe: the next round renews.
            }
          }));
        }
        for (java.util.concurrent.Future<?> f : round) {
          f.get(30, TimeUnit.SECONDS);
        }
        TimeUnit.MILLISECONDS.sleep(TTL_MS / 5);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(e);
    } finally {
      clients.shutdownNow();
    }
  }

  /** Measures how long a plain command waits behind the expiry scripts, on its own connection. */
  private void ping(AtomicBoolean running, AtomicLong longestMs) {
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      while (running.get()) {
        long start = System.nanoTime();
        c.sync().ping();
        longestMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Math::max);
        TimeUnit.MILLISECONDS.sleep(10);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void report(RedisCommands<String, byte[]> r, long loadMs, long firstMs, long redisMs, long doneMs,
      long longestPingMs) throws Exception {
    String expireSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(
        (LuaScripts.source("common") + "\n" + LuaScripts.source("expire")).getBytes(StandardCharsets.UTF_8)));
    long slowExpiry = 0;
    long over50 = 0;
    long maxExpiryUs = 0;
    long maxOtherUs = 0;
    for (Object entry : r.slowlogGet(100_000)) {
      List<?> e = (List<?>) entry;
      long micros = (Long) e.get(2);
      List<?> args = (List<?>) e.get(3);
      String name = args.size() > 1 ? ChangeLogFollower.string(args.get(1)) : "";
      if (name.equalsIgnoreCase(expireSha)) {
        slowExpiry++;
        over50 += micros > 50_000 ? 1 : 0;
        maxExpiryUs = Math.max(maxExpiryUs, micros);
      } else {
        maxOtherUs = Math.max(maxOtherUs, micros);
      }
    }
    String stats = r.info("commandstats");
    String evalsha = stats.lines().filter(l -> l.startsWith("cmdstat_evalsha:")).findFirst().orElse("");
    System.out.printf("lease expiry after a %d s pause, %,d leases (%,d live), load %s:%n"
            + "  store start (snapshot load) %d ms; first expiry %d ms after the sweeps resumed (TTL %d ms);"
            + " all dead gone from Redis %d ms, from the view %d ms after resumed%n"
            + "  expiry script calls over 5 ms: %d (over 50 ms: %d), slowest %.1f ms; slowest other command %.1f ms"
            + " (the snapshot reads); longest PING wait %d ms; %s%n",
        PAUSE_MS / 1000, LEASES, LEASES / LIVE_EVERY, loadAverage(), loadMs, firstMs, TTL_MS,
        redisMs, doneMs, slowExpiry, over50, maxExpiryUs / 1000.0, maxOtherUs / 1000.0, longestPingMs, evalsha);
  }

  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  private static String serviceOf(String id) {
    return "svc-" + (Integer.parseInt(id.substring(2)) / PER_SERVICE);
  }

  private static String lease(String id) {
    return "lease-" + id;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
