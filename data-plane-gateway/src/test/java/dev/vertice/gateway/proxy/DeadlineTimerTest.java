package dev.vertice.gateway.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code DeadlineTimer} on an event loop whose clock the test moves (nothing sleeps). */
class DeadlineTimerTest {

  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final AtomicInteger expired = new AtomicInteger();
  private final DeadlineTimer timer;

  DeadlineTimerTest() {
    channel.freezeTime();
    timer = new DeadlineTimer(channel.eventLoop(), expired::incrementAndGet);
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  private void advanceMillis(long ms) {
    channel.advanceTimeBy(ms, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
  }

  @Test
  void expiresOnceAtTheDeadline() {
    timer.arm(TimeUnit.MILLISECONDS.toNanos(100));
    advanceMillis(99);
    assertEquals(0, expired.get());
    advanceMillis(1);
    assertEquals(1, expired.get());
    assertFalse(timer.armed());
    advanceMillis(1_000);
    assertEquals(1, expired.get());
  }

  @Test
  void rearmingMovesTheDeadlineAndADisarmedTimerNeverExpires() {
    timer.arm(TimeUnit.MILLISECONDS.toNanos(100));
    advanceMillis(50);
    timer.disarm();
    timer.arm(TimeUnit.MILLISECONDS.toNanos(100)); // runs out at 150: the check at 100 finds it moved
    advanceMillis(60);
    assertEquals(0, expired.get());
    assertTrue(timer.armed());
    advanceMillis(40);
    assertEquals(1, expired.get());
    timer.arm(TimeUnit.MILLISECONDS.toNanos(100));
    timer.disarm();
    advanceMillis(500);
    assertEquals(1, expired.get());
  }

  @Test
  void aShorterTimeoutThanThePendingCheckExpiresOnTime() {
    timer.arm(TimeUnit.SECONDS.toNanos(10));
    timer.disarm();
    timer.arm(TimeUnit.MILLISECONDS.toNanos(100));
    advanceMillis(100);
    assertEquals(1, expired.get());
  }

  @Test
  void aStaleArmingDoesNotDisarmALaterOne() {
    int first = timer.arm(TimeUnit.MILLISECONDS.toNanos(100));
    timer.disarm(first);
    int second = timer.arm(TimeUnit.MILLISECONDS.toNanos(100));
    timer.disarm(first);
    assertTrue(timer.armed());
    advanceMillis(100);
    assertEquals(1, expired.get());
    timer.disarm(second);
  }

  @Test
  void cancelDropsThePendingCheck() {
    timer.arm(TimeUnit.MILLISECONDS.toNanos(100));
    timer.cancel();
    assertFalse(timer.armed());
    advanceMillis(1_000);
    assertEquals(0, expired.get());
    assertFalse(channel.hasPendingTasks());
  }
}
