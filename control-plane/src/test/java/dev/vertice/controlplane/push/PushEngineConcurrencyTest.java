package dev.vertice.controlplane.push;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vertice.common.Ticker;
import dev.vertice.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Many writers, many subscribers, sinks that stall and resume: every subscriber ends with the
 * final version of every resource it watches, and every change converges or is accounted for.
 */
class PushEngineConcurrencyTest {

  private static final String T = TestSource.TYPE;
  private final ExecutorService pool = Executors.newFixedThreadPool(3);

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(5, TimeUnit.SECONDS);
  }

  /** A sink whose readiness flips at random, and whose client answers every batch later. */
  private static final class FlakySink implements PushSink {
    final ConcurrentLinkedQueue<PushBatch> unanswered = new ConcurrentLinkedQueue<>();
    final Map<String, Long> held = new HashMap<>(); // guarded by this
    final AtomicBoolean ready = new AtomicBoolean(true);
    Subscriber subscriber;

    @Override
    public boolean isReady() {
      return ready.get();
    }

    @Override
    public synchronized boolean send(PushBatch batch) {
      for (Resource r : batch.resources()) {
        held.put(r.name(), r.version());
      }
      for (String n : batch.removed()) {
        held.put(n, 0L);
      }
      unanswered.add(batch);
      return true;
    }

    @Override
    public void close(SubscriberCloseReason reason) {}

    /** Plays the client: answers what arrived, and sometimes becomes ready again. */
    void client(Random random) {
      PushBatch b;
      while ((b = unanswered.poll()) != null) {
        subscriber.answer(b.nonce(), random.nextInt(20) == 0 ? "rejected" : null);
      }
      if (!ready.get() && random.nextBoolean()) {
        ready.set(true);
        subscriber.onReady();
      }
    }

    synchronized Long version(String name) {
      return held.get(name);
    }
  }

  @Test
  void everySubscriberConvergesOnTheFinalStateUnderConcurrentChanges() throws Exception {
    TestSource source = new TestSource();
    PushEngine engine = new PushEngine(pool, Ticker.system(), PushLimits.ofDefaults(),
        ConvergenceListener.NONE, new Versions("e1"));
    engine.addSource(source);
    source.attach(engine);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      names.add("r" + i);
      source.put("r" + i, "0");
    }
    List<FlakySink> sinks = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      FlakySink sink = new FlakySink();
      sink.subscriber = engine.open("n" + i, "test", sink);
      sink.subscriber.subscribe(T, i % 5 == 0 ? List.of("*") : names.subList(i % 10, i % 10 + 5), Map.of());
      sinks.add(sink);
    }
    Random random = new Random(42);
    for (int round = 0; round < 20_000; round++) {
      String name = names.get(random.nextInt(names.size()));
      pool.execute(() -> {
        if (name.hashCode() % 7 == 0 && Math.random() < 0.1) {
          source.remove(name);
        } else {
          source.put(name, "v");
        }
      });
      FlakySink sink = sinks.get(random.nextInt(sinks.size()));
      if (random.nextInt(4) == 0) {
        sink.ready.set(false);
      }
      sinks.get(random.nextInt(sinks.size())).client(random);
    }
    // Let every client catch up: readiness back, answers in.
    Await.until("every subscriber holds the final state", Duration.ofSeconds(20), () -> {
      boolean done = true;
      for (FlakySink sink : sinks) {
        sink.ready.set(true);
        sink.subscriber.onReady();
        sink.client(new Random(1));
        for (String name : names) {
          if (!watches(sinks.indexOf(sink), name, names)) {
            continue;
          }
          Resource r = source.get(name);
          long expected = r == null ? 0L : r.version();
          Long held = sink.version(name);
          if (held == null || held != expected) {
            done = false;
          }
        }
      }
      return done;
    });
    Await.until("no change awaits an answer", Duration.ofSeconds(10), () -> {
      sinks.forEach(s -> s.client(new Random(2)));
      return engine.stats().waitingChanges() == 0;
    });
    assertEquals(0, engine.stats().pendingValues());
  }

  private static boolean watches(int i, String name, List<String> names) {
    return i % 5 == 0 || names.subList(i % 10, i % 10 + 5).contains(name);
  }
}
