package dev.vertice.testkit;

import dev.vertice.common.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code FakeClock} is a {@link Ticker} and a {@link ScheduledExecutorService} whose time moves
 * only when a test says so (in the manner of grpc-java's FakeClock).
 *
 * <p>Scheduled tasks run on the thread that calls {@link #forwardTime} or {@link #runDueTasks},
 * in deadline order; {@link #execute} schedules a task due now. Thread-safe.
 */
public final class FakeClock implements Ticker {

  private final Object lock = new Object();
  private final PriorityQueue<Task<?>> tasks =
      new PriorityQueue<>((a, b) -> a.deadline != b.deadline ? Long.compare(a.deadline, b.deadline) : Long.compare(a.seq, b.seq));
  private final AtomicLong sequence = new AtomicLong();
  private final ScheduledExecutorService executor = new Executor();
  private volatile long nanos = 1_000_000_000L; // nonzero so that "0" never looks like a real time

  @Override
  public long nanoTime() {
    return nanos;
  }

  /** Returns the executor whose scheduled tasks follow this clock. */
  public ScheduledExecutorService scheduler() {
    return executor;
  }

  /** Moves time forward by {@code amount}, running every task that falls due on the way, in order. */
  public void forwardTime(Duration amount) {
    long target = nanos + amount.toNanos();
    while (true) {
      Task<?> next;
      synchronized (lock) {
        next = tasks.peek();
        if (next == null || next.deadline > target) {
          nanos = target;
          return;
        }
        tasks.poll();
        nanos = Math.max(nanos, next.deadline);
      }
      next.runTask();
    }
  }

  /** Runs every task due at the current time. */
  public void runDueTasks() {
    forwardTime(Duration.ZERO);
  }

  /** Returns the number of scheduled tasks that have not run or been cancelled. */
  public int pendingTasks() {
    synchronized (lock) {
      return (int) tasks.stream().filter(t -> !t.isDone()).count();
    }
  }

  private final class Task<V> implements ScheduledFuture<V> {
    // Written only by the thread running the task, while it is out of the queue.
    volatile long deadline;
    volatile long seq = sequence.incrementAndGet();
    final long periodNanos; // 0: one-shot; > 0 fixed rate
    final Callable<V> body;
    volatile boolean cancelled;
    volatile boolean done;
    volatile V result;
    volatile Throwable failure;

    Task(long deadline, long periodNanos, Callable<V> body) {
      this.deadline = deadline;
      this.periodNanos = periodNanos;
      this.body = body;
    }

    void runTask() {
      if (cancelled) {
        return;
      }
      try {
        result = body.call();
        if (periodNanos > 0) {
          synchronized (lock) {
            // The same task object goes back in the queue, so that cancelling the future a caller
            // holds stops every later run.
            if (!cancelled) {
              deadline += periodNanos;
              seq = sequence.incrementAndGet();
              tasks.add(this);
            }
          }
          return;
        }
      } catch (Throwable t) {
        failure = t;
      }
      done = true;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(deadline - nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done) {
        return false;
      }
      synchronized (lock) {
        cancelled = true;
        tasks.remove(this);
      }
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public V get() throws ExecutionException {
      if (cancelled) {
        throw new CancellationException();
      }
      if (!done) {
        throw new IllegalStateException("a FakeClock task completes only when the test moves time");
      }
      if (failure != null) {
        throw new ExecutionException(failure);
      }
      return result;
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws ExecutionException {
      return get();
    }
  }

  private final class Executor extends AbstractExecutorService implements ScheduledExecutorService {

    private <V> Task<V> add(long delayNanos, long periodNanos, Callable<V> body) {
      Task<V> task = new Task<>(nanos + Math.max(0, delayNanos), periodNanos, body);
      synchronized (lock) {
        tasks.add(task);
      }
      return task;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      return add(unit.toNanos(delay), 0, () -> {
        command.run();
        return null;
      });
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      return add(unit.toNanos(delay), 0, callable);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
      if (period <= 0) {
        throw new IllegalArgumentException("period must be positive: " + period);
      }
      return add(unit.toNanos(initialDelay), unit.toNanos(period), () -> {
        command.run();
        return null;
      });
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
      return scheduleAtFixedRate(command, initialDelay, delay, unit);
    }

    @Override
    public void execute(Runnable command) {
      schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      synchronized (lock) {
        tasks.clear();
      }
      return new ArrayList<>();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }
}
