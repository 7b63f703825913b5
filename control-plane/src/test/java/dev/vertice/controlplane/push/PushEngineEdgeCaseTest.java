package dev.vertice.controlplane.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Edge cases of convergence accounting, protocol and bounds, found in review (each failed before
 * its fix). Direct executor, as in PushEngineTest, so every drain runs inline and deterministically.
 */
class PushEngineEdgeCaseTest {

  private static final String T = HookSource.TYPE;

  private final FakeClock clock = new FakeClock();
  private final HookSource src = new HookSource();
  /** Runs inside ConvergenceListener.onAbandoned, once. */
  private final AtomicReference<Runnable> onAbandoned = new AtomicReference<>();
  private boolean throwOnAbandoned;

  private PushEngine engine(PushLimits limits) {
    PushEngine e = new PushEngine(Runnable::run, clock, limits, new ConvergenceListener() {
      @Override
      public void onAbandoned(String typeUrl, String name, long version) {
        Runnable r = onAbandoned.getAndSet(null);
        if (r != null) {
          r.run();
        }
        if (throwOnAbandoned) {
          throw new IllegalStateException("metrics backend hiccup");
        }
      }
    }, new Versions("e1"));
    e.addSource(src);
    src.attach(e);
    return e;
  }

  private PushEngine engine() {
    return engine(PushLimits.ofDefaults());
  }

  /**
   * Subscriber.nextBatch computes a Sent range's upper bound from e.lastDispatched read in its
   * SECOND synchronized block, i.e. after source.get(). A change committed between get() and that
   * block widens the range of a response that does not carry it: ACKing x@2 then "answers" change 3.
   */
  @Test
  void ackOfOlderValueMustNotConvergeANewerChange() throws Exception {
    PushEngine engine = engine();
    src.put("x", "1"); // v1
    TestSink sink = new TestSink();
    Subscriber s = engine.open("n", "gateway", sink);
    s.subscribe(T, List.of("x"), Map.of());
    s.answer(sink.last().nonce(), null);

    src.afterNextGet("x", () -> src.put("x", "3")); // v3 lands right after the drain read x@2
    src.put("x", "2"); // v2
    assertEquals(List.of("x@1", "x@2", "x@3"), sink.log());

    CompletableFuture<Convergence> f3 = engine.whenConverged(T, "x", 3);
    assertFalse(f3.isDone());
    s.answer(sink.batches.get(1).nonce(), null); // ACK of the response holding x@2 only
    assertFalse(f3.isDone(), "change 3 reported converged although x@3 was never ACKed: " + f3.getNow(null));
  }

  /**
   * The "client already holds this content" branch extends lastSent.to but does not advance
   * e.covered, so the next Sent starts at the old covered: two ranges of one subscriber overlap
   * and both ACKs decrement the same change. Here change 3 converges while subscriber B has not
   * answered it. (A re-subscribe queues the entry here; in production the same branch is reached
   * by a removal whose get() saw null before onChange() of the removal reached the subscriber.)
   */
  @Test
  void oneSubscriberMustNotCountAChangeTwice() throws Exception {
    PushEngine engine = engine();
    src.put("x", "1"); // v1
    TestSink sa = new TestSink();
    TestSink sb = new TestSink();
    Subscriber a = engine.open("a", "gateway", sa);
    Subscriber b = engine.open("b", "gateway", sb);
    a.subscribe(T, List.of("x"), Map.of());
    b.subscribe(T, List.of("x"), Map.of());
    a.answer(sa.last().nonce(), null);
    b.answer(sb.last().nonce(), null);

    src.put("x", "2"); // v2: A and B get x@2
    String aX2 = sa.last().nonce();
    b.answer(sb.last().nonce(), null);

    src.afterNextGet("x", () -> src.put("x", "3")); // v3 for A and B, lands inside A's drain
    a.subscribe(T, List.of("x"), Map.of()); // A's entry re-queued: get() reads x@2 == held
    CompletableFuture<Convergence> f3 = engine.whenConverged(T, "x", 3);
    assertFalse(f3.isDone());

    a.answer(aX2, null);
    for (PushBatch pb : new ArrayList<>(sa.batches)) {
      a.answer(pb.nonce(), null); // A answers everything it got (unknown nonces are ignored)
    }
    assertEquals("x@3", sb.log().get(sb.log().size() - 1), "B got x@3 ...");
    assertFalse(f3.isDone(), "... but never ACKed it, yet change 3 converged: " + f3.getNow(null));
  }

  /**
   * answer() raises entry.answered to the highest ACKed range even when an older response is still
   * unanswered (a hole). onStreamClosed then reports onGone(answered) and skips the outstanding
   * Sent (its entry is already gone), so the hole's change is never completed or abandoned.
   */
  @Test
  void changesInAnAckHoleAreReleasedWhenTheSubscriberLeaves() throws Exception {
    PushEngine engine = engine();
    src.put("x", "1");
    TestSink sink = new TestSink();
    Subscriber s = engine.open("n", "gateway", sink);
    s.subscribe(T, List.of("x"), Map.of());
    s.answer(sink.last().nonce(), null);
    long v2 = src.put("x", "2");
    src.put("x", "3");
    s.answer(sink.last().nonce(), null); // ACK x@3 only (x@2's response is not ACKed)
    CompletableFuture<Convergence> f2 = engine.whenConverged(T, "x", v2);
    s.onStreamClosed();
    assertEquals(0, engine.stats().waitingChanges(), "the only subscriber left: nothing can wait for it");
    assertTrue(f2.isDone(), "change 2 must be completed (abandoned) once its subscriber is gone");
  }

  /**
   * onStreamClosed/unsubscribe drop the index under the engine lock but report onGone(from) after
   * releasing it, and onGone decrements EVERY change > from. A change committed in that window is
   * not counted for the leaving subscriber, yet gets decremented for it: another subscriber's
   * change is abandoned before that subscriber answers. (The window is opened deterministically by
   * committing from the onAbandoned callback that the first onGone triggers.)
   */
  @Test
  void aLeavingSubscriberMustNotAbandonChangesItWasNotCountedFor() throws Exception {
    PushEngine engine = engine();
    src.put("a", "1"); // v1
    src.put("b", "1"); // v2
    TestSink sa = new TestSink();
    TestSink sb = new TestSink();
    Subscriber leaving = engine.open("leaving", "gateway", sa);
    Subscriber staying = engine.open("staying", "gateway", sb);
    leaving.subscribe(T, List.of("a", "b"), Map.of());
    staying.subscribe(T, List.of("b"), Map.of());
    leaving.answer(sa.last().nonce(), null);
    staying.answer(sb.last().nonce(), null);
    src.put("a", "2"); // v3, needed by `leaving` only, never ACKed

    AtomicReference<CompletableFuture<Convergence>> fb = new AtomicReference<>();
    onAbandoned.set(() -> { // runs inside reportGone, between the two onGone calls
      long v = src.put("b", "2"); // v4: `leaving` is no longer indexed, only `staying` needs it
      fb.set(engine.whenConverged(T, "b", v));
    });
    leaving.onStreamClosed();
    assertEquals("b@4", sb.log().get(sb.log().size() - 1), "staying got b@4");
    assertFalse(fb.get().isDone(), "b@4 was abandoned although its only subscriber has not answered yet: "
        + fb.get().getNow(null));
  }

  /**
   * A wildcard subscriber that stops reading keeps one Entry (and one pending value) for every
   * name ever created, even after the resource is gone, and the tracker keeps every change for it:
   * both grow without bound with service-name churn.
   */
  @Test
  void aStalledWildcardSubscriberStaysBoundedUnderNameChurn() throws Exception {
    PushEngine engine = engine();
    TestSink sink = new TestSink();
    sink.ready = false;
    Subscriber s = engine.open("n", "gateway", sink);
    s.subscribe(T, List.of("*"), Map.of());
    for (int i = 0; i < 5_000; i++) {
      src.put("job-" + i, "x");
      src.remove("job-" + i);
    }
    PushStats st = engine.stats();
    assertTrue(s.pendingCount() < 100 && st.waitingChanges() < 100,
        "0 resources exist, yet pending=" + s.pendingCount() + " waitingChanges=" + st.waitingChanges());
  }

  /**
   * Outstanding-batch eviction marks the evicted Sents answered but tells the tracker nothing. For a
   * wildcard entry already dropped from ts.entries (a removal was sent), nothing ever releases its
   * changes, not even the subscriber leaving: they stay in the tracker until 64 newer changes of
   * that name arrive, i.e. forever for a service that is gone.
   */
  @Test
  void evictedResponsesDoNotLeakTrackerEntriesAfterTheSubscriberLeaves() throws Exception {
    PushEngine engine = engine(PushLimits.custom().maxOutstandingBatches(2).build());
    TestSink sink = new TestSink();
    Subscriber s = engine.open("n", "gateway", sink);
    s.subscribe(T, List.of("*"), Map.of()); // reads everything, never ACKs
    src.put("gone", "x");
    src.remove("gone");
    for (int i = 0; i < 3; i++) {
      src.put("other", "v" + i); // evicts the two responses about "gone"
    }
    s.onStreamClosed();
    assertEquals(0, engine.stats().waitingChanges(), "no subscriber is left to wait for");
  }

  /** A subscribe larger than one response is answered over several; none claims "in sync" early. */
  @Test
  void aSubscribeLargerThanOneResponseIsAnsweredOverSeveral() throws Exception {
    PushEngine engine = engine(PushLimits.custom().maxResourcesPerBatch(2).build());
    src.put("a", "1");
    src.put("b", "1");
    src.put("c", "1");
    TestSink sink = new TestSink();
    Subscriber s = engine.open("n", "gateway", sink);
    s.subscribe(T, List.of("a", "b", "c"), Map.of());
    assertEquals(2, sink.count(), "two responses of at most two resources");
    assertEquals(Set.of("a@1", "b@2", "c@3"), new HashSet<>(sink.log()));
    assertTrue(sink.batches.stream().allMatch(b -> b.resources().size() + b.removed().size() > 0),
        "no empty response: the last one that carries resources is the answer");
  }

  /**
   * ConvergenceTracker.onChange runs abandon() (listener + future completion) inside
   * PushEngine.onChange BEFORE any subscriber is marked, under the registry and engine locks. A
   * listener that throws makes the change never reach any subscriber (the registry state is
   * already committed).
   */
  @Test
  void aThrowingConvergenceListenerMustNotLoseAPush() throws Exception {
    PushEngine engine = engine(PushLimits.custom().maxTrackedChangesPerResource(1).build());
    TestSink sink = new TestSink();
    Subscriber s = engine.open("n", "gateway", sink);
    s.subscribe(T, List.of("x"), Map.of()); // never ACKs: x's changes pile up, maxTracked = 1
    src.put("x", "1");
    throwOnAbandoned = true;
    try {
      src.put("x", "2"); // tracker drops change 1 -> onAbandoned throws
    } catch (IllegalStateException expected) {
      // the exception reaches the committer (Registry.commit in production)
    }
    throwOnAbandoned = false;
    assertEquals("x@2", sink.log().get(sink.log().size() - 1), "x@2 was committed but never pushed");
  }

  /**
   * nextBatch drops a wildcard entry from ts.entries after sending its removal even when
   * markChanged re-queued it in between. The zombie stays in `pending`; the next change of the name
   * creates a second Entry, and one response then carries the same resource twice, which the Java
   * client NACKs ("resource 'x' appears twice").
   */
  @Test
  void aResponseNeverCarriesTheSameNameTwice() throws Exception {
    PushEngine engine = engine();
    src.put("x", "1");
    TestSink sink = new TestSink();
    Subscriber s = engine.open("n", "gateway", sink);
    s.subscribe(T, List.of("*"), Map.of());
    s.answer(sink.last().nonce(), null);

    src.afterNextGet("x", () -> {
      src.put("x", "2"); // re-created right after the drain saw it removed
      sink.ready = false;
    });
    src.remove("x");
    src.put("x", "3"); // no entry for x any more: a second Entry is created
    sink.ready = true;
    s.onReady();
    for (PushBatch b : sink.batches) {
      Set<String> names = new HashSet<>();
      for (Resource r : b.resources()) {
        assertTrue(names.add(r.name()), "response " + b.nonce() + " carries '" + r.name() + "' twice: " + b);
      }
    }
  }
}
