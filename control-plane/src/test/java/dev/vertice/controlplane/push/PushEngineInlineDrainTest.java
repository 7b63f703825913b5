package dev.vertice.controlplane.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.FakeClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Where the drains of a change run: on the thread that reports it when few subscribers need it, on
 * the engine's executor beyond that (here an executor that only queues, run by the test), with the
 * same coalescing and convergence either way.
 */
class PushEngineInlineDrainTest {

  private static final String T = TestSource.TYPE;

  private final List<Runnable> queued = new ArrayList<>();
  private final TestSource source = new TestSource();

  private PushEngine engine(int inlineDrains) {
    PushEngine e = new PushEngine(queued::add, new FakeClock(), PushLimits.ofDefaults(), ConvergenceListener.NONE,
        new Versions("e1"), inlineDrains);
    e.addSource(source);
    source.attach(e);
    return e;
  }

  private void runQueued() {
    while (!queued.isEmpty()) {
      queued.remove(0).run();
    }
  }

  private List<TestSink> subscribed(PushEngine e, int count) throws PushLimitExceededException {
    List<TestSink> sinks = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TestSink sink = new TestSink();
      e.open("node-" + i, "test", sink).subscribe(T, List.of("a"), Map.of());
      sinks.add(sink);
    }
    runQueued(); // the answer to a subscribe goes through the executor
    return sinks;
  }

  @Test
  void aChangeFewSubscribersNeedIsSentOnTheReportingThread() throws Exception {
    PushEngine e = engine(2);
    source.put("a", "1");
    List<TestSink> sinks = subscribed(e, 2);
    source.put("a", "2");
    assertTrue(queued.isEmpty(), "no executor task for a change two subscribers need");
    for (TestSink sink : sinks) {
      assertEquals(List.of("a@1", "a@2"), sink.log());
    }
  }

  @Test
  void aWiderFanOutIsLeftToTheExecutor() throws Exception {
    PushEngine e = engine(2);
    source.put("a", "1");
    List<TestSink> sinks = subscribed(e, 3);
    source.put("a", "2");
    assertFalse(queued.isEmpty());
    assertEquals(List.of("a@1"), sinks.get(0).log(), "nothing sent before the executor runs");
    runQueued();
    for (TestSink sink : sinks) {
      assertEquals(List.of("a@1", "a@2"), sink.log());
    }
  }

  @Test
  void zeroAlwaysUsesTheExecutorAndANegativeCountIsRefused() throws Exception {
    PushEngine e = engine(0);
    source.put("a", "1");
    TestSink sink = subscribed(e, 1).get(0);
    source.put("a", "2");
    assertEquals(List.of("a@1"), sink.log());
    runQueued();
    assertEquals(List.of("a@1", "a@2"), sink.log());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> new PushEngine(queued::add,
        new FakeClock(), PushLimits.ofDefaults(), ConvergenceListener.NONE, new Versions("e1"), -1));
    assertTrue(bad.getMessage().contains("inlineDrains") && bad.getMessage().contains("-1"), bad.getMessage());
  }

  @Test
  void inlineDrainsStillCoalesceWhileNotReadyAndCompleteConvergenceOnTheAck() throws Exception {
    PushEngine e = engine(4);
    source.put("a", "0");
    TestSink sink = new TestSink();
    Subscriber s = e.open("node", "test", sink);
    s.subscribe(T, List.of("a"), Map.of());
    runQueued();
    sink.ready = false;
    long last = 0;
    for (int i = 1; i <= 10; i++) {
      last = source.put("a", "v" + i);
    }
    assertEquals(List.of("a@1"), sink.log(), "nothing sent while the stream cannot take it");
    assertEquals(1, s.pendingCount(), "one pending entry however many changes");
    CompletableFuture<Convergence> done = e.whenConverged(T, "a", last);
    sink.ready = true;
    s.onReady();
    runQueued();
    assertEquals(List.of("a@1", "a@" + last), sink.log(), "one response with the newest value");
    assertFalse(done.isDone(), "not before the ACK");
    assertTrue(s.answer(sink.last().nonce(), null));
    assertTrue(done.getNow(null).complete());
  }
}
