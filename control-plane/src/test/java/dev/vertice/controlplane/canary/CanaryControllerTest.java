package dev.vertice.controlplane.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.canary.DecisionKind;
import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutSpec;
import dev.vertice.canary.RolloutState;
import dev.vertice.canary.RolloutStateException;
import dev.vertice.canary.Strategy;
import dev.vertice.canary.WindowStats;
import dev.vertice.controlplane.store.memory.InMemoryRolloutStore;
import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The controller on a fake clock, with the in-memory rollout store, synthetic stats and a policy sink
 * whose answers the test gives. The same scenarios over the real push engine and gRPC are in
 * CanaryServiceTest.
 */
class CanaryControllerTest {

  static final Instant BASE = Instant.parse("2026-01-01T12:00:00Z");
  static final WindowStats STABLE = new WindowStats(5000, 10, 0.100);

  final FakeClock clock = new FakeClock();
  final InstantSource wall = () -> BASE.plusNanos(clock.nanoTime());
  /** One store shared by every controller (replica) of a test, as Redis would be. */
  final InMemoryRolloutStore store = new InMemoryRolloutStore();
  /** The test's own view of the store. */
  final StoredRollouts repository = new StoredRollouts(store);
  final Policies policies = new Policies();
  final Map<String, WindowStats> candidateStats = new ConcurrentHashMap<>();
  final List<CanaryController> controllers = new ArrayList<>();

  /** Records policies; answers every one at once unless {@link #answer} is false. */
  static final class Policies implements PolicyPublisher {
    final List<TrafficPolicy> published = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();
    volatile boolean answer = true;

    @Override
    public CompletableFuture<?> put(TrafficPolicy policy) {
      published.add(policy);
      CompletableFuture<Void> f = new CompletableFuture<>();
      if (answer) {
        f.complete(null);
      } else {
        pending.add(f);
      }
      return f;
    }

    int lastCandidateWeight() {
      return published.get(published.size() - 1).getSubsets(1).getWeight();
    }

    List<Integer> candidateWeights() {
      return published.stream().map(p -> p.getSubsets(1).getWeight()).toList();
    }
  }

  CanaryController controller(Leadership leadership) {
    CanaryController c = CanaryController.builder()
        .rollouts(store)
        .policies(policies)
        .stats((service, version, from, to) -> version.equals("v1") ? STABLE
            : candidateStats.getOrDefault(service, WindowStats.EMPTY))
        .leadership(leadership)
        .instances((service, version) -> service.equals("orders") ? 1 : 0)
        .clock(wall)
        .scheduler(clock.scheduler())
        .leaseCheckInterval(Duration.ofSeconds(1))
        .build();
    controllers.add(c);
    c.start();
    clock.runDueTasks();
    return c;
  }

  @AfterEach
  void closeControllers() {
    controllers.forEach(CanaryController::close);
  }

  static RolloutSpec spec() {
    return RolloutSpec.draft().service("orders").stableVersion("v1").candidateVersion("v2")
        .stageDuration(Duration.ofSeconds(30)).analysisInterval(Duration.ofSeconds(10))
        .progressDeadline(Duration.ofMinutes(2)).validate().orThrow();
  }

  void forward(Duration d) {
    clock.forwardTime(d);
  }

  @Test
  void createPublishesTheFirstStageAndPersistsTheRollout() {
    CanaryController c = controller(Leadership.always());
    Rollout r = c.create(spec());
    assertEquals("orders-1", r.id());
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertEquals(1, policies.published.size());
    TrafficPolicy p = policies.published.get(0);
    assertEquals("orders", p.getService());
    assertEquals("orders-1", p.getRolloutId());
    assertEquals("v1", p.getSubsets(0).getVersion());
    assertEquals(95, p.getSubsets(0).getWeight());
    assertEquals("v2", p.getSubsets(1).getVersion());
    assertEquals(5, p.getSubsets(1).getWeight());
    assertFalse(r.policyConverged(), "the answer is handed to the scheduler");
    clock.runDueTasks();
    assertTrue(repository.get("orders-1").orElseThrow().policyConverged());
  }

  @Test
  void healthyCandidateIsPromotedThroughEveryStageOnTheAnalysisInterval() {
    CanaryController c = controller(Leadership.always());
    candidateStats.put("orders", new WindowStats(500, 1, 0.105));
    c.create(spec());
    forward(Duration.ofSeconds(29));
    assertEquals(List.of(5), policies.candidateWeights());
    forward(Duration.ofSeconds(1));
    assertEquals(List.of(5, 25), policies.candidateWeights());
    forward(Duration.ofSeconds(90));
    assertEquals(List.of(5, 25, 50, 100, 100).subList(0, 4), policies.candidateWeights());
    Rollout r = repository.get("orders-1").orElseThrow();
    assertEquals(RolloutState.PROMOTED, r.state());
    assertTrue(r.policyConverged());
    forward(Duration.ofMinutes(5));
    assertEquals(r, repository.get("orders-1").orElseThrow(), "a final rollout is no longer analysed");
  }

  @Test
  void everyReplicaExportsTheRolloutsGaugesButOnlyTheLeaseHolderCountsDecisions() {
    CanaryController leader = controller(Leadership.always());
    CanaryController follower = controller(() -> false);
    io.micrometer.core.instrument.simple.SimpleMeterRegistry leaderMeters =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    io.micrometer.core.instrument.simple.SimpleMeterRegistry followerMeters =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    new dev.vertice.controlplane.metrics.CanaryMetrics(leaderMeters).bind(leader);
    new dev.vertice.controlplane.metrics.CanaryMetrics(followerMeters).bind(follower);
    candidateStats.put("orders", new WindowStats(500, 1, 0.105));
    leader.create(spec());
    clock.runDueTasks();
    assertEquals(5, followerMeters.get("vertice.canary.candidate.weight").tag("service", "orders").gauge().value());
    assertEquals(0, followerMeters.get("vertice.canary.stage").tag("service", "orders").gauge().value());
    forward(Duration.ofSeconds(30));
    assertEquals(25, leaderMeters.get("vertice.canary.candidate.weight").tag("service", "orders").gauge().value());
    assertEquals(25, followerMeters.get("vertice.canary.candidate.weight").tag("service", "orders").gauge().value(),
        "the replica without the lease follows the shared store");
    assertEquals(1, followerMeters.get("vertice.canary.stage").tag("service", "orders").gauge().value());
    assertTrue(leaderMeters.get("vertice.canary.decisions").tags("service", "orders", "kind", "hold").counter()
        .count() >= 1);
    assertEquals(null, followerMeters.find("vertice.canary.decisions").counter(),
        "decisions are counted once, by the lease holder");
    forward(Duration.ofSeconds(90));
    assertEquals(RolloutState.PROMOTED, repository.get("orders-1").orElseThrow().state());
    assertEquals(null, followerMeters.find("vertice.canary.candidate.weight").gauge(), "gauges end with the rollout");
    assertEquals(null, followerMeters.find("vertice.canary.stage").gauge());

    // A replica that starts (or binds its metrics) during a rollout seeds its gauges from the store.
    leader.create(spec());
    clock.runDueTasks();
    io.micrometer.core.instrument.simple.SimpleMeterRegistry late =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    new dev.vertice.controlplane.metrics.CanaryMetrics(late).bind(controller(() -> false));
    assertEquals(5, late.get("vertice.canary.candidate.weight").tag("service", "orders").gauge().value());
  }

  @Test
  void metricsFollowTheRolloutAndCountItsDecisions() {
    CanaryController c = controller(Leadership.always());
    io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    new dev.vertice.controlplane.metrics.CanaryMetrics(meters).bind(c);
    candidateStats.put("orders", new WindowStats(500, 1, 0.105));
    c.create(spec());
    assertEquals(5, meters.get("vertice.canary.candidate.weight").tag("service", "orders").gauge().value());
    assertEquals(0, meters.get("vertice.canary.stage").tag("service", "orders").gauge().value());
    forward(Duration.ofSeconds(10));
    assertEquals(1, meters.get("vertice.canary.decisions").tags("service", "orders", "kind", "hold").counter().count(),
        "the first analysis holds: the stage has not lasted its duration");
    forward(Duration.ofSeconds(20));
    assertEquals(25, meters.get("vertice.canary.candidate.weight").tag("service", "orders").gauge().value());
    assertEquals(1, meters.get("vertice.canary.stage").tag("service", "orders").gauge().value());
    forward(Duration.ofSeconds(90));
    Rollout r = repository.get("orders-1").orElseThrow();
    assertEquals(RolloutState.PROMOTED, r.state());
    assertEquals(r.decisions().stream().filter(d -> d.kind() == DecisionKind.PROMOTE).count(),
        (long) meters.get("vertice.canary.decisions").tags("service", "orders", "kind", "promote").counter().count());
    assertEquals(null, meters.find("vertice.canary.candidate.weight").gauge(), "gauges end with the rollout");
    assertEquals(null, meters.find("vertice.canary.stage").gauge());

    candidateStats.put("orders", new WindowStats(200, 40, 0.1));
    c.create(spec());
    assertEquals(5, meters.get("vertice.canary.candidate.weight").tag("service", "orders").gauge().value());
    forward(Duration.ofSeconds(10));
    assertEquals(RolloutState.ROLLED_BACK, c.get("orders-2").orElseThrow().state());
    assertEquals(1, meters.get("vertice.canary.decisions").tags("service", "orders", "kind", "rollback").counter()
        .count());
    assertEquals(null, meters.find("vertice.canary.candidate.weight").gauge());
  }

  @Test
  void errorsRollBackAtTheFirstAnalysisAndPublishZero() {
    CanaryController c = controller(Leadership.always());
    candidateStats.put("orders", new WindowStats(200, 40, 0.1));
    c.create(spec());
    forward(Duration.ofSeconds(10));
    Rollout r = c.get("orders-1").orElseThrow();
    assertEquals(RolloutState.ROLLED_BACK, r.state());
    assertEquals("error_rate", r.lastDecision().check());
    assertEquals(List.of(5, 0), policies.candidateWeights());
    assertEquals(100, policies.published.get(1).getSubsets(0).getWeight());
    assertTrue(r.policyConverged());
  }

  @Test
  void convergenceIsReportedOnlyWhenEverySubscriberAnswered() {
    CanaryController c = controller(Leadership.always());
    policies.answer = false;
    c.create(spec());
    forward(Duration.ofSeconds(10));
    assertFalse(c.get("orders-1").orElseThrow().policyConverged());
    policies.pending.get(0).complete(null);
    clock.runDueTasks();
    assertTrue(c.get("orders-1").orElseThrow().policyConverged());
  }

  @Test
  void aPolicyNotConfirmedByEverySubscriberLeavesTheRolloutUnconvergedUntilItsNextWeights() {
    CanaryController c = controller(Leadership.always());
    policies.answer = false;
    c.create(spec());
    policies.pending.get(0).completeExceptionally(new IllegalStateException("subscriber gone"));
    clock.runDueTasks();
    forward(Duration.ofSeconds(10));
    assertFalse(c.get("orders-1").orElseThrow().policyConverged());
    assertEquals(List.of(5), policies.candidateWeights());
    policies.answer = true;
    c.promote("orders-1", false);
    clock.runDueTasks();
    assertTrue(c.get("orders-1").orElseThrow().policyConverged());
  }

  @Test
  void secondActiveRolloutAndMissingInstancesAreRefusedAndChangeNothing() {
    CanaryController c = controller(Leadership.always());
    RolloutSpec other = spec().toDraft().service("payments").validate().orThrow();
    RolloutStateException none = assertThrows(RolloutStateException.class, () -> c.create(other));
    assertEquals("service payments has no SERVING instance of version v1 nor of version v2: register one before"
        + " starting a rollout", none.getMessage());
    c.create(spec());
    RolloutStateException twice = assertThrows(RolloutStateException.class, () -> c.create(spec()));
    assertTrue(twice.getMessage().startsWith("service orders already has an active rollout: orders-1"),
        twice.getMessage());
    assertEquals(1, repository.list().size());
    assertEquals(1, policies.published.size());
    c.abort("orders-1");
    assertEquals("orders-2", c.create(spec()).id(), "a finished rollout does not block the next");
  }

  @Test
  void manualCommandsPublishAndUnknownIdsAreNotFound() {
    CanaryController c = controller(Leadership.always());
    c.create(spec());
    assertEquals(25, c.promote("orders-1", false).candidateWeight());
    Rollout paused = c.pause("orders-1");
    assertEquals(RolloutState.PAUSED, paused.state());
    candidateStats.put("orders", new WindowStats(200, 200, 1));
    forward(Duration.ofMinutes(5));
    assertEquals(RolloutState.PAUSED, c.get("orders-1").orElseThrow().state(), "no analysis while paused");
    candidateStats.put("orders", new WindowStats(200, 0, 0.1));
    c.resume("orders-1");
    forward(Duration.ofSeconds(30));
    assertEquals(50, c.get("orders-1").orElseThrow().candidateWeight());
    assertEquals(RolloutState.PROMOTED, c.promote("orders-1", true).state());
    assertEquals(List.of(5, 25, 50, 100), policies.candidateWeights());
    assertThrows(RolloutStateException.class, () -> c.abort("orders-1"));
    assertThrows(RolloutNotFoundException.class, () -> c.pause("orders-9"));
  }

  @Test
  void listIsNewestFirstAndFilters() {
    CanaryController c = controller(Leadership.always());
    c.create(spec());
    c.abort("orders-1");
    forward(Duration.ofSeconds(1));
    c.create(spec());
    assertEquals(List.of("orders-2", "orders-1"), c.list(null, false).stream().map(Rollout::id).toList());
    assertEquals(List.of("orders-2"), c.list("orders", true).stream().map(Rollout::id).toList());
    assertEquals(List.of(), c.list("payments", false));
  }

  @Test
  void watchDeliversTheCurrentStateThenChangesAndEndsAfterAFinalState() throws Exception {
    CanaryController c = controller(Leadership.always());
    c.create(spec());
    clock.runDueTasks();
    List<Rollout> seen = new CopyOnWriteArrayList<>();
    c.watch("orders-1", seen::add);
    assertEquals(1, seen.size());
    candidateStats.put("orders", new WindowStats(200, 0, 0.1));
    forward(Duration.ofSeconds(10));
    assertEquals(DecisionKind.HOLD, seen.get(seen.size() - 1).lastDecision().kind());
    c.rollback("orders-1", "enough");
    clock.runDueTasks();
    Rollout last = seen.get(seen.size() - 1);
    assertEquals(RolloutState.ROLLED_BACK, last.state());
    assertTrue(last.policyConverged());
    int count = seen.size();
    assertThrows(RolloutStateException.class, () -> c.abort("orders-1"));
    forward(Duration.ofMinutes(1));
    assertEquals(count, seen.size(), "nothing is delivered after the final state");
  }

  @Test
  void onlyTheLeaseHolderEvaluatesAndAnotherContinuesAfterFailover() {
    AtomicBoolean aLeads = new AtomicBoolean(true);
    AtomicBoolean bLeads = new AtomicBoolean(false);
    CanaryController a = controller(aLeads::get);
    CanaryController b = controller(bLeads::get);
    assertTrue(a.leading());
    assertFalse(b.leading());
    assertThrows(NotLeaderException.class, () -> b.create(spec()));
    candidateStats.put("orders", new WindowStats(500, 0, 0.1));
    a.create(spec());
    forward(Duration.ofSeconds(30));
    assertEquals(25, repository.get("orders-1").orElseThrow().candidateWeight());
    int publishedByA = policies.published.size();
    // Failover: A loses the lease, B gains it.
    aLeads.set(false);
    bLeads.set(true);
    forward(Duration.ofSeconds(1));
    assertFalse(a.leading());
    assertTrue(b.leading());
    assertThrows(NotLeaderException.class, () -> a.pause("orders-1"));
    assertEquals(publishedByA + 1, policies.published.size(), "B publishes the weights in force again");
    assertEquals(25, policies.lastCandidateWeight());
    forward(Duration.ofSeconds(30));
    Rollout r = repository.get("orders-1").orElseThrow();
    assertEquals(50, r.candidateWeight(), "B continues the rollout where A left it");
  }

  @Test
  void aReplicaWithoutTheLeaseStreamsTheLeadersChangesToItsWatchers() {
    CanaryController leader = controller(Leadership.always());
    CanaryController follower = controller(() -> false);
    candidateStats.put("orders", new WindowStats(500, 0, 0.1));
    leader.create(spec());
    List<Rollout> seen = new CopyOnWriteArrayList<>();
    follower.watch("orders-1", seen::add);
    forward(Duration.ofSeconds(30));
    assertEquals(25, seen.get(seen.size() - 1).candidateWeight());
    leader.abort("orders-1");
    clock.runDueTasks();
    assertEquals(RolloutState.ABORTED, seen.get(seen.size() - 1).state());
    assertTrue(seen.get(seen.size() - 1).policyConverged());
  }

  @Test
  void restartedControllerContinuesWhereTheRolloutStood() {
    CanaryController first = controller(Leadership.always());
    candidateStats.put("orders", new WindowStats(500, 0, 0.1));
    first.create(spec());
    forward(Duration.ofSeconds(30));
    first.close();
    forward(Duration.ofMinutes(1));
    assertEquals(25, repository.get("orders-1").orElseThrow().candidateWeight(), "nothing moves without a controller");
    CanaryController second = controller(Leadership.always());
    assertEquals(25, policies.lastCandidateWeight());
    // The stage started a minute and a half ago: the first analysis of the new controller promotes.
    forward(Duration.ofSeconds(10));
    assertEquals(50, second.get("orders-1").orElseThrow().candidateWeight());
  }

  @Test
  void aNewLeaderRepublishesOnlyEachServicesNewestRollout() {
    CanaryController first = controller(Leadership.always());
    policies.answer = false; // nothing converges: every rollout is a candidate for republishing
    first.create(spec());
    first.rollback("orders-1", "");
    forward(Duration.ofSeconds(1));
    first.create(spec());
    first.close();
    int before = policies.published.size();
    controller(Leadership.always());
    assertEquals(before + 1, policies.published.size());
    assertEquals("orders-2", policies.published.get(policies.published.size() - 1).getRolloutId());
    assertEquals(5, policies.lastCandidateWeight());
  }

  @Test
  void pendingRolloutLeftByACrashIsStartedByTheNextLeader() {
    repository.put(Rollout.create("orders-1", spec(), wall.instant()));
    CanaryController c = controller(Leadership.always());
    Rollout r = c.get("orders-1").orElseThrow();
    assertEquals(RolloutState.PROGRESSING, r.state());
    assertEquals(List.of(5), policies.candidateWeights());
  }

  @Test
  void blueGreenSwitchesAtOnceAndSwitchesBack() {
    CanaryController c = controller(Leadership.always());
    Rollout r = c.create(spec().toDraft().strategy(Strategy.BLUE_GREEN).validate().orThrow());
    assertEquals(100, r.candidateWeight());
    assertEquals(0, policies.published.get(0).getSubsets(0).getWeight());
    c.rollback(r.id(), "switch back");
    assertEquals(List.of(100, 0), policies.candidateWeights());
  }
}
