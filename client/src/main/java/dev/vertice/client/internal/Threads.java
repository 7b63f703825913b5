package dev.vertice.client.internal;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code Threads} makes the daemon threads a client owns when none are injected. */
public final class Threads {

  private Threads() {}

  /** {@code daemon} returns a factory of daemon threads named {@code prefix-n}. */
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
