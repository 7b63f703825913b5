package dev.vertice.client.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code SerialExecutor} runs tasks one at a time, in submission order, on a delegate executor
 * (possibly a pool). A task that throws is logged and does not stop the ones after it.
 * Thread-safe.
 */
public final class SerialExecutor implements Executor {

  private static final Logger log = Logger.getLogger(SerialExecutor.class.getName());

  private final Executor delegate;
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>(); // guarded by this
  private boolean running; // guarded by this

  /** {@code SerialExecutor} serialises tasks on {@code delegate}. */
  public SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (this) {
      queue.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    try {
      delegate.execute(this::drain);
    } catch (RuntimeException rejected) {
      synchronized (this) {
        running = false;
        queue.clear();
      }
      log.log(Level.WARNING, "listener executor rejected a task; dropping queued notifications", rejected);
    }
  }

  private void drain() {
    while (true) {
      Runnable next;
      synchronized (this) {
        next = queue.poll();
        if (next == null) {
          running = false;
          return;
        }
      }
      try {
        next.run();
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "a listener threw; continuing with the next notification", e);
      }
    }
  }
}
