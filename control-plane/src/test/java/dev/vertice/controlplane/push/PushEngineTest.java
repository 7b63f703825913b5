package dev.vertice.controlplane.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The push engine on a direct executor: every drain runs inline, so results are deterministic. */
class PushEngineTest {

  private static final String T = TestSource.TYPE;

  private final FakeClock clock = new FakeClock();
  private final TestSource source = new TestSource();
  private final List<Long> converged = new ArrayList<>();
  private final AtomicLong abandoned = new AtomicLong();
  private PushEngine engine;

  @BeforeEach
  void setUp() {
    PushLimits limits = PushLimits.custom().maxSubscriptionsPerStream(3).maxOutstandingBatches(4)
        .maxTrackedChangesPerResource(8).build();
    engine = new PushEngine(Runnable::run, clock, limits,
        new ConvergenceListener() {
          @Override
          public void onConverged(String typeUrl, String name, long version, long nanos, int subscribers) {
            converged.add(version);
          }

          @Override
          public void onAbandoned(String typeUrl, String name, long version) {
            abandoned.incrementAndGet();
          }
        }, new Versions("e1"));
    engine.addSource(source);
    source.attach(engine);
  }

  private static String v(long revision) {
    return "e1-" + revision;
  }

  private Subscriber open(TestSink sink) {
    return engine.open("node", "test", sink);
  }

  @Test
  void subscribeSendsCurrentValueAndThenEveryChange() throws Exception {
    source.put("a", "1");
    TestSink sink = new TestSink();
    Subscriber s = open(sink);
    s.subscribe(T, List.of("a"), Map.of());
    assertEquals(List.of("a@1"), sink.log());
    source.put("a", "2");
    source.remove("a");
    assertEquals(List.of("a@1", "a@2", "-a"), sink.log());
  }

  @Test
  void subscribingToAMissingResourceReportsItAbsentOnce() throws Exception {
    TestSink sink = new TestSink();
    open(sink).subscribe(T, List.of("ghost"), Map.of());
    assertEquals(List.of("-ghost"), sink.log());
    source.put("other", "x");
    assertEquals(List.of("-ghost"), sink.log(), "not subscribed to 'other'");
  }

  @Test
  void changesCoalesceWhileTheSinkIsNotReady() throws Exception {
    TestSink sink = new TestSink();
    Subscriber s = open(sink);
    s.subscribe(T, List.of("a", "b"), Map.of());
    sink.ready = false;
    for (int i = 0; i < 1000; i++) {
      source.put("a", "v" + i);
      source.put("b", "v" + i);
    }
    assertEquals(2, s.pendingCount(), "one pending entry per subscribed resource, however many changes");
    sink.ready = true;
    s.onReady();
    PushBatch last = sink.last();
    assertEquals(2, last.resources().size());
    assertEquals(List.of("v999", "v999"), last.resources().stream().map(Resource::value).toList(), "newest only");
    assertEquals(0, s.pendingCount());
  }

  @Test
  void slowSubscriberDoesNotDelayOthers() throws Exception {
    TestSink slow = new TestSink();
    slow.ready = false;
    Subscriber slowSub = open(slow);
    slowSub.subscribe(T, List.of("a"), Map.of());
    List<TestSink> fast = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      TestSink sink = new TestSink();
      open(sink).subscribe(T, List.of("a"), Map.of());
      fast.add(sink);
    }
    for (int i = 0; i < 50; i++) {
      source.put("a", "v" + i);
    }
    for (TestSink sink : fast) {
      assertEquals("v49", sink.last().resources().get(0).value());
    }
    assertEquals(0, slow.count());
    assertEquals(1, slowSub.pendingCount());
  }

  @Test
  void resumeWithHeldVersionsSendsOnlyDifferences() throws Exception {
    long va = source.put("a", "1");
    source.put("b", "1");
    long vb = source.put("b", "2");
    source.put("c", "1");
    TestSink sink = new TestSink();
    open(sink).subscribe(T, List.of("*"), Map.of("a", v(va), "b", v(vb - 1), "gone", "e1-1", "stale", "e0-3"));
    assertEquals(java.util.Set.of("b@" + vb, "c@4", "-gone", "-stale"), java.util.Set.copyOf(sink.log()),
        "'a' is held at its current version: not sent; 'stale' is held from another epoch and does not exist");
    assertEquals(1, sink.count(), "in one response");
  }

  @Test
  void versionsFromAnotherEpochAreResent() throws Exception {
    long va = source.put("a", "1");
    TestSink sink = new TestSink();
    open(sink).subscribe(T, List.of("a"), Map.of("a", "e0-" + va));
    assertEquals(List.of("a@" + va), sink.log());
  }

  @Test
  void aSubscribeThatChangesNothingIsStillAnswered() throws Exception {
    long va = source.put("a", "1");
    TestSink sink = new TestSink();
    open(sink).subscribe(T, List.of("a"), Map.of("a", v(va)));
    assertEquals(1, sink.count(), "an empty response tells the client it is in sync");
    assertEquals(List.of(), sink.log());
  }

  @Test
  void heldVersionsAreHonouredOnlyOnTheFirstRequestOfAType() throws Exception {
    long va = source.put("a", "1");
    TestSink sink = new TestSink();
    Subscriber s = open(sink);
    s.subscribe(T, List.of("b"), Map.of());
    s.subscribe(T, List.of("a"), Map.of("a", v(va)));
    assertEquals(List.of("-b", "a@" + va), sink.log());
  }

  @Test
  void nackKeepsTheVersionUnsentUntilItChanges() throws Exception {
    source.put("a", "bad");
    TestSink sink = new TestSink();
    Subscriber s = open(sink);
    s.subscribe(T, List.of("a"), Map.of());
    assertTrue(s.answer(sink.last().nonce(), "cannot parse"));
    assertEquals("cannot parse", s.lastNack());
    assertEquals(1, engine.stats().nacks());
    s.subscribe(T, List.of("a"), Map.of());
    assertEquals(2, sink.count(), "the repeated subscribe is answered...");
    assertEquals(List.of("a@1"), sink.log(), "...but the NACKed version is not resent");
    source.put("a", "good");
    assertEquals(3, sink.count());
    assertTrue(s.answer(sink.last().nonce(), null));
    assertEquals(1, engine.stats().acks());
    assertFalse(s.answer("999", null), "unknown nonce");
    assertFalse(s.answer("not-a-number", null));
  }

  @Test
  void convergenceCompletesWhenEverySubscriberAcked() throws Exception {
    TestSink one = new TestSink();
    TestSink two = new TestSink();
    Subscriber s1 = open(one);
    Subscriber s2 = open(two);
    s1.subscribe(T, List.of("a"), Map.of());
    s2.subscribe(T, List.of("*"), Map.of());
    long v = source.put("a", "x");
    CompletableFuture<Convergence> done = engine.whenConverged(T, "a", v);
    assertFalse(done.isDone());
    s1.answer(one.last().nonce(), null);
    assertFalse(done.isDone(), "one of two answered");
    clock.forwardTime(Duration.ofMillis(7));
    s2.answer(two.last().nonce(), null);
    Convergence c = done.getNow(null);
    assertEquals(new Convergence(v, clock.nanoTime() - 1_000, 2, 0, true), c, "measured from the change at t=1000 ns");
    assertEquals(List.of(v), converged);
  }

  @Test
  void oneAckOfACoalescedVersionAnswersEveryChangeItReplaced() throws Exception {
    TestSink sink = new TestSink();
    Subscriber s = open(sink);
    s.subscribe(T, List.of("a"), Map.of());
    sink.ready = false;
    long v1 = source.put("a", "1");
    long v2 = source.put("a", "2");
    sink.ready = true;
    s.onReady();
    s.answer(sink.last().nonce(), null);
    assertEquals(List.of(v1, v2), converged);
    assertEquals(0, engine.stats().waitingChanges());
  }

  @Test
  void changesOwedByASubscriberThatLeftAreAbandoned() throws Exception {
    TestSink sink = new TestSink();
    Subscriber s = open(sink);
    s.subscribe(T, List.of("a"), Map.of());
    long v = source.put("a", "1");
    CompletableFuture<Convergence> done = engine.whenConverged(T, "a", v);
    s.onStreamClosed();
    assertFalse(done.getNow(null).complete());
    assertEquals(1, abandoned.get());
    assertEquals(0, engine.stats().waitingChanges());
    assertEquals(0, engine.stats().subscribers());
  }

  @Test
  void trackedChangesPerResourceAreBounded() throws Exception {
    TestSink sink = new TestSink();
    open(sink).subscribe(T, List.of("a"), Map.of());
    for (int i = 0; i < 100; i++) {
      source.put("a", "v" + i);
    }
    // Never-answered changes are capped per resource, and forgotten responses abandon theirs.
    assertTrue(engine.stats().waitingChanges() <= 8, engine.stats().toString());
    assertEquals(100, abandoned.get() + engine.stats().waitingChanges(), "every change accounted for");
  }

  @Test
  void outstandingResponsesAreBounded() throws Exception {
    TestSink sink = new TestSink();
    Subscriber s = open(sink);
    s.subscribe(T, List.of("a"), Map.of());
    for (int i = 0; i < 20; i++) {
      source.put("a", "v" + i);
    }
    assertEquals(4, s.outstandingCount());
    assertFalse(s.answer(sink.batches.get(0).nonce(), null), "too old to be remembered");
  }

  @Test
  void subscriptionLimitRejectsTheWholeRequestAndChangesNothing() throws Exception {
    TestSink sink = new TestSink();
    Subscriber s = open(sink);
    s.subscribe(T, List.of("a", "b"), Map.of());
    PushLimitExceededException e =
        assertThrows(PushLimitExceededException.class, () -> s.subscribe(T, List.of("c", "d"), Map.of()));
    assertTrue(e.getMessage().contains("limit of 3"), e.getMessage());
    assertEquals(2, s.subscriptionCount(T));
    s.subscribe(T, List.of("a", "c"), Map.of());
    assertEquals(3, s.subscriptionCount(T), "re-subscribing a held name costs nothing");
  }

  @Test
  void unsubscribeStopsPushesAndWildcardFollowsEveryResource() throws Exception {
    TestSink sink = new TestSink();
    Subscriber s = open(sink);
    s.subscribe(T, List.of("*"), Map.of());
    source.put("a", "1");
    source.put("b", "1");
    s.unsubscribe(T, List.of("*"));
    source.put("a", "2");
    assertEquals(List.of("a@1", "b@2"), sink.log());
    assertEquals(0, engine.stats().waitingChanges());
  }

  @Test
  void closeEndsEveryStreamAndRefusesNewSubscribers() throws Exception {
    TestSink sink = new TestSink();
    open(sink).subscribe(T, List.of("a"), Map.of());
    engine.close();
    assertEquals(SubscriberCloseReason.SHUTTING_DOWN, sink.closed);
    assertEquals(0, engine.stats().subscribers());
    assertThrows(IllegalStateException.class, () -> open(new TestSink()));
  }

  @Test
  void largeBatchesAreSplitByBytes() throws Exception {
    PushLimits limits = PushLimits.custom().maxSubscriptionsPerStream(100).maxBatchBytes(10)
        .maxOutstandingBatches(64).maxTrackedChangesPerResource(8).build();
    PushEngine small = new PushEngine(Runnable::run, clock, limits,
        ConvergenceListener.NONE, new Versions("e1"));
    small.addSource(source);
    source.attach(small);
    for (int i = 0; i < 5; i++) {
      source.put("r" + i, "123456");
    }
    TestSink sink = new TestSink();
    small.open("n", "test", sink).subscribe(T, List.of("r0", "r1", "r2", "r3", "r4"), Map.of());
    assertEquals(5, sink.count(), "6-byte values with a 10-byte bound: one per response");
    assertEquals(5, sink.log().size());
  }
}
