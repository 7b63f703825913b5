package dev.vertice.common;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code Threads} makes the daemon threads a component owns when none are injected (clients,
 * sidecar): named, so that a thread dump says whose they are, and daemon, so that they never keep
 * a JVM alive.
 */
public final class Threads {

  private Threads() {}

  /** {@code daemon} returns a factory of daemon threads named {@code prefix-n}, n counting from 1. */
  public static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** {@code scheduler} returns a one-thread daemon scheduler that forgets cancelled tasks at once. */
  public static ScheduledThreadPoolExecutor scheduler(String prefix) {
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, daemon(prefix));
    s.setRemoveOnCancelPolicy(true);
    return s;
  }
}
