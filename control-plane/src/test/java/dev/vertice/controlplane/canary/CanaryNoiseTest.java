package dev.vertice.controlplane.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.stats.v1.VersionStats;
import dev.vertice.canary.Decision;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.canary.RolloutState;
import dev.vertice.canary.WindowStats;
import dev.vertice.controlplane.store.memory.InMemoryRolloutStore;
import dev.vertice.controlplane.store.memory.InMemoryStatsStore;
import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 20: canary analysis that does not flip on noise. Each scenario runs 20 rollouts, each with
 * its own seed, of the README's dev-mode example (stages 5, 25, 50, 100 %, 10 s stages analysed
 * every 2 s, every analysis threshold at its default) through the real {@link CanaryController},
 * the real in-memory stats store and {@link StatsStoreWindows}, on a fake clock: every simulated
 * second, a curl-like loop's requests are split by the weights the controller published, each
 * given a latency drawn from a noisy model, counted in the gateway's default latency buckets and
 * reported to the stats store, as a gateway does.
 *
 * <p>The latency model is a loaded two-core machine's loopback: a log-normal body (median 1-2 ms),
 * 2 % of requests delayed 5-30 ms (scheduling), 0.3 % 30-150 ms (GC, JIT), and one second in 20
 * where every request, of both versions, waits 5-20 ms more. Request rates of 10 to 100 per second
 * cover the curl loop with and without its sleep. Under that model the seed-era rule (p99 ratio
 * alone on 10 requests) rolls back identical versions in a good share of the runs; the test counts
 * them too, to show that the noise is there.
 *
 * <p>It shows: identical v1 and v2 reach 100 % in 20 of 20 runs; a v2 with 50 ms added latency, and
 * one with 10 % errors, are rolled back in 20 of 20 runs. A few seconds of CPU, no sleeping.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CanaryNoiseTest {

  static final Instant BASE = Instant.parse("2026-01-01T12:00:00Z");
  static final int RUNS = 20;
  /** The data plane's default latency bounds (StatsReporter.DEFAULT_BOUNDS_SECONDS), in seconds. */
  static final List<Double> BOUNDS = List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
      1.0, 2.5, 5.0, 10.0);
  /** Longest simulated rollout: the progress deadline of each of four stages. */
  static final int MAX_SECONDS = 4 * 600 + 60;

  /** What the candidate does differently from the stable version. */
  record Candidate(double addedLatencySeconds, double errorRate) {
    static final Candidate IDENTICAL = new Candidate(0, 0);
  }

  /** One rollout's outcome. */
  record Run(long seed, Rollout rollout, int seconds, boolean oldRuleWouldFail) {
    Decision last() {
      return rollout.lastDecision();
    }
  }

  /** The noise of one machine: one seeded random per run. */
  static final class Traffic {
    final Random random;
    final double rate;
    final double medianSeconds;

    Traffic(long seed) {
      random = new Random(seed);
      rate = 10 + random.nextInt(91); // requests per second: the curl loop with or without its sleep
      medianSeconds = 0.001 + random.nextDouble() * 0.001;
    }

    double latency(boolean busySecond) {
      double l = medianSeconds * Math.exp(0.6 * random.nextGaussian());
      double u = random.nextDouble();
      if (u < 0.003) {
        l += 0.030 + random.nextDouble() * 0.120;
      } else if (u < 0.023) {
        l += 0.005 + random.nextDouble() * 0.025;
      }
      if (busySecond) {
        l += 0.005 + random.nextDouble() * 0.015;
      }
      return l;
    }

    int requestsThisSecond() {
      return (int) Math.max(1, Math.round(rate * (0.8 + 0.4 * random.nextDouble())));
    }
  }

  /** Counts one version's requests of one second, as a gateway's StatsReporter does. */
  static final class Counter {
    final long[] counts = new long[BOUNDS.size() + 1];
    long requests;
    long errors;

    void record(double latencySeconds, boolean error) {
      int i = 0;
      while (i < BOUNDS.size() && latencySeconds > BOUNDS.get(i)) {
        i++;
      }
      counts[i]++;
      requests++;
      if (error) {
        errors++;
      }
    }

    VersionStats toProto(String version) {
      VersionStats.Builder b = VersionStats.newBuilder().setService("test-service").setVersion(version)
          .setRequests(requests).setErrors(errors).addAllLatencyBoundsSeconds(BOUNDS);
      for (long c : counts) {
        b.addLatencyCounts(c);
      }
      return b.build();
    }
  }

  static RolloutSpec readmeSpec() {
    // ./vertice canary start --service test-service --stable v1 --candidate v2 --stage-duration 10s
    //     --analysis-interval 2s
    return RolloutSpec.draft().service("test-service").stableVersion("v1").candidateVersion("v2")
        .stageDuration(Duration.ofSeconds(10)).analysisInterval(Duration.ofSeconds(2)).validate().orThrow();
  }

  /** The rule before issue 20: p99 ratio alone, judged from 10 candidate requests on. */
  static boolean oldRuleFails(WindowStats stable, WindowStats candidate) {
    return candidate.requests() >= 10 && stable.requests() > 0 && candidate.p99Seconds() > 1.5 * stable.p99Seconds();
  }

  static Run rollout(long seed, Candidate v2) {
    FakeClock clock = new FakeClock();
    InstantSource wall = () -> BASE.plusNanos(clock.nanoTime());
    AtomicInteger weight = new AtomicInteger(0);
    boolean[] oldRule = new boolean[1];
    try (InMemoryStatsStore stats = InMemoryStatsStore.ofDefaults()) {
      StatsStoreWindows windows = new StatsStoreWindows(stats);
      // Keeps what the controller read, in pairs, to judge them by the old rule as well.
      TreeMap<Instant, WindowStats> stableReads = new TreeMap<>();
      StatsWindows spy = (service, version, from, to) -> {
        WindowStats w = windows.window(service, version, from, to);
        if (version.equals("v1")) {
          stableReads.put(to, w);
        } else if (stableReads.containsKey(to) && oldRuleFails(stableReads.get(to), w)) {
          oldRule[0] = true;
        }
        return w;
      };
      CanaryController controller = CanaryController.builder()
          .rollouts(new InMemoryRolloutStore())
          .policies((TrafficPolicy p) -> {
            weight.set(p.getSubsets(1).getWeight());
            return CompletableFuture.completedFuture(null);
          })
          .stats(spy)
          .instances((service, version) -> 1)
          .clock(wall)
          .scheduler(clock.scheduler())
          .build();
      try {
        controller.start();
        clock.runDueTasks();
        Traffic traffic = new Traffic(seed);
        Random route = new Random(seed * 31 + 7);
        String id = null;
        int second = 0;
        Rollout r = null;
        // 20 s of traffic to v1 alone, then the rollout starts.
        for (; second < MAX_SECONDS; second++) {
          if (second == 20) {
            id = controller.create(readmeSpec()).id();
          }
          boolean busy = traffic.random.nextDouble() < 0.05;
          Counter v1 = new Counter();
          Counter candidate = new Counter();
          int n = traffic.requestsThisSecond();
          for (int i = 0; i < n; i++) {
            double latency = traffic.latency(busy);
            if (route.nextInt(100) < weight.get()) {
              candidate.record(latency + v2.addedLatencySeconds(), route.nextDouble() < v2.errorRate());
            } else {
              v1.record(latency, false);
            }
          }
          List<VersionStats> batch = new ArrayList<>(2);
          if (v1.requests > 0) {
            batch.add(v1.toProto("v1"));
          }
          if (candidate.requests > 0) {
            batch.add(candidate.toProto("v2"));
          }
          stats.add(wall.instant().getEpochSecond(), batch);
          clock.forwardTime(Duration.ofSeconds(1));
          if (id != null) {
            r = controller.get(id).orElseThrow();
            if (!r.isActive()) {
              break;
            }
          }
        }
        return new Run(seed, r, second - 20, oldRule[0]);
      } finally {
        controller.close();
      }
    }
  }

  static List<Run> runs(Candidate v2) {
    List<Run> out = new ArrayList<>();
    for (long seed = 1; seed <= RUNS; seed++) {
      out.add(rollout(seed, v2));
    }
    return out;
  }

  static void print(String scenario, List<Run> runs) {
    long old = runs.stream().filter(Run::oldRuleWouldFail).count();
    int max = runs.stream().mapToInt(Run::seconds).max().orElse(0);
    int min = runs.stream().mapToInt(Run::seconds).min().orElse(0);
    System.out.printf("%s: %s; %d-%d simulated s per rollout; the old rule (p99 ratio on 10 requests) would have"
        + " rolled back %d of %d%n", scenario, runs.stream().map(r -> r.rollout().state() + "@" + r.last().stage())
            .collect(java.util.stream.Collectors.groupingBy(s -> s, TreeMap::new,
                java.util.stream.Collectors.counting())), min, max, old, runs.size());
  }

  @Test
  void identicalVersionsUnderNoisyTrafficReachOneHundredPercentEveryTime() {
    List<Run> runs = runs(Candidate.IDENTICAL);
    print("identical v1 and v2", runs);
    for (Run run : runs) {
      assertEquals(RolloutState.PROMOTED, run.rollout().state(), "seed " + run.seed() + ": " + run.rollout().message()
          + " / " + run.rollout().decisions());
      assertEquals(100, run.rollout().candidateWeight());
    }
    // The noise is real: the rule this replaced would have rolled some of these back.
    assertTrue(runs.stream().anyMatch(Run::oldRuleWouldFail), "the noise model reproduces no false rollback");
  }

  @Test
  void fiftyMillisecondsAddedLatencyRollsBackEveryTime() {
    List<Run> runs = runs(new Candidate(0.050, 0));
    print("v2 +50 ms", runs);
    for (Run run : runs) {
      assertEquals(RolloutState.ROLLED_BACK, run.rollout().state(), "seed " + run.seed() + ": "
          + run.rollout().message());
      assertEquals(Decision.CHECK_LATENCY, run.last().check(), run.last().reason());
      assertTrue(run.last().reason().contains("Mann-Whitney U"), run.last().reason());
      assertEquals(0, run.rollout().candidateWeight());
    }
  }

  @Test
  void tenPercentErrorsRollBackEveryTime() {
    List<Run> runs = runs(new Candidate(0, 0.10));
    print("v2 10 % errors", runs);
    for (Run run : runs) {
      assertEquals(RolloutState.ROLLED_BACK, run.rollout().state(), "seed " + run.seed() + ": "
          + run.rollout().message());
      assertEquals(Decision.CHECK_ERROR_RATE, run.last().check(), run.last().reason());
      assertEquals(0, run.rollout().candidateWeight());
    }
  }
}
