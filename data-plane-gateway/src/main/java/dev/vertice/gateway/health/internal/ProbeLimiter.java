package dev.vertice.gateway.health.internal;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * {@code ProbeLimiter} runs asynchronous probes at most {@code maxConcurrent} at a time, queues at
 * most {@code maxQueued} more, and answers the rest at once with the caller's rejection value.
 * Thread-safe.
 */
public final class ProbeLimiter {

  private final int maxConcurrent;
  private final int maxQueued;
  private final Object lock = new Object();
  // guarded by lock
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private int running;

  /** {@code ProbeLimiter} allows {@code maxConcurrent} probes in flight and {@code maxQueued} waiting. */
  public ProbeLimiter(int maxConcurrent, int maxQueued) {
    if (maxConcurrent < 1 || maxQueued < 0) {
      throw new IllegalArgumentException("maxConcurrent must be positive and maxQueued not negative: "
          + maxConcurrent + ", " + maxQueued);
    }
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
  }

  /**
   * {@code submit} starts {@code probe} now or when a slot frees; when the queue is full it returns
   * {@code rejected.get()} at once. {@code probe} must return a future that completes (it is given
   * a deadline by the caller); an exception it throws fails the returned future.
   */
  public <T> CompletableFuture<T> submit(Supplier<CompletableFuture<T>> probe, Supplier<T> rejected) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Runnable start = () -> {
      CompletableFuture<T> f;
      try {
        f = probe.get();
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      f.whenComplete((v, e) -> {
        release();
        if (e != null) {
          result.completeExceptionally(e);
        } else {
          result.complete(v);
        }
      });
    };
    boolean now;
    synchronized (lock) {
      if (running < maxConcurrent) {
        running++;
        now = true;
      } else if (queue.size() < maxQueued) {
        queue.add(start);
        now = false;
      } else {
        return CompletableFuture.completedFuture(rejected.get());
      }
    }
    if (now) {
      start.run();
    }
    return result;
  }

  /** {@code inFlight} returns the number of probes running now. */
  public int inFlight() {
    synchronized (lock) {
      return running;
    }
  }

  /** {@code queued} returns the number of probes waiting for a slot. */
  public int queued() {
    synchronized (lock) {
      return queue.size();
    }
  }

  private void release() {
    Runnable next;
    synchronized (lock) {
      next = queue.poll();
      if (next == null) {
        running--;
        return;
      }
    }
    // The slot passes to the next probe.
    next.run();
  }
}
