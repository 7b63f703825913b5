package dev.vertice.controlplane.store.redis;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.vertice.api.discovery.v1.TrafficPolicy;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.common.Ticker;
import dev.vertice.controlplane.registry.RegistryView;
import dev.vertice.controlplane.registry.StoredTrafficPolicy;
import dev.vertice.controlplane.store.StoreUnavailableException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code ChangeLogFollower} feeds this replica's {@link RegistryView} from the Redis Stream that
 * every write of the registry store appends to, in order: one reader thread applies each change
 * with the revision Redis gave it, so revisions (and so resource versions) are the same on every
 * replica, and a watch can resume on any of them.
 *
 * <p>A replica whose position was trimmed from the log reloads a snapshot; a log whose history went
 * back (Redis lost writes) is taken whole. That is found when a new entry does not advance the
 * revision, and also without any new write: after every reconnect, whenever the log is idle for a
 * read (one second) and at least every five seconds, the reader checks that the entry it read last
 * is still in the log unchanged and that Redis's revision is not below its own. The reader never dies: on a Redis failure it backs off
 * and reads on from where it stopped.
 */
final class ChangeLogFollower implements AutoCloseable {

  private static final Logger log = Logger.getLogger(ChangeLogFollower.class.getName());
  private static final Duration READ_YOUR_WRITES_WAIT = Duration.ofSeconds(2);
  /** Longer than one blocking log read (1 s) plus a reconnect: a reader silent for this long is cut off. */
  private static final Duration FOLLOW_TIMEOUT = Duration.ofSeconds(5);
  /** The history is checked after a reconnect, when the log is idle, and at least this often. */
  private static final Duration HISTORY_CHECK_INTERVAL = Duration.ofSeconds(5);

  private final RedisLink link;
  private final RegistryView view;
  private final Ticker ticker;
  private final Thread reader;
  private final Object applied = new Object();
  /** Asynchronous writers waiting for their revision, lowest first; guarded by {@code applied}. */
  private final java.util.PriorityQueue<Waiter> waiters =
      new java.util.PriorityQueue<>(java.util.Comparator.comparingLong(Waiter::revision));
  private volatile boolean closed;
  private String lastLogId = "0-0"; // reader thread only, and start() before it runs
  /** The fields of the entry at {@link #lastLogId}, empty when none (reader thread only). */
  private Map<String, byte[]> lastEntry = Map.of();
  /** Set when the history must be checked before the next read (reader thread only). */
  private boolean checkHistory;
  private long lastHistoryCheckNanos;
  /** The instances whose lease expired in the batch being applied (reader thread only). */
  private final List<String> expired = new ArrayList<>();
  /** When the reader last heard from Redis (an XREAD returned, with or without entries). */
  private volatile long lastLogContactNanos;

  ChangeLogFollower(RedisLink link, RegistryView view, Ticker ticker) {
    this.link = link;
    this.view = view;
    this.ticker = ticker;
    this.reader = new Thread(this::readLog, "vertice-redis-log");
    reader.setDaemon(true);
  }

  /** Loads the current state into the view and starts following the log. */
  void start() throws StoreUnavailableException {
    loadSnapshot(false);
    lastLogContactNanos = ticker.nanoTime();
    reader.start();
  }

  /**
   * Returns whether the view follows Redis: the reader heard from it within the last few seconds
   * (it blocks at most one second per read) and the breaker is not open.
   */
  boolean following() {
    return link.breakerState() != CircuitBreaker.State.OPEN
        && ticker.nanoTime() - lastLogContactNanos < FOLLOW_TIMEOUT.toNanos();
  }

  /**
   * Returns a future completed once the view holds {@code revision}, or after a little while
   * whatever it holds (as {@link #awaitApplied} gives up): read-your-writes on one replica without
   * a waiting thread. Completed on the reader thread, or on the timer.
   */
  CompletableFuture<Void> applied(long revision) {
    if (view.revision() >= revision) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (applied) {
      if (view.revision() >= revision) {
        return CompletableFuture.completedFuture(null);
      }
      waiters.add(new Waiter(revision, f));
    }
    f.completeOnTimeout(null, READ_YOUR_WRITES_WAIT.toMillis(), TimeUnit.MILLISECONDS).thenRun(() -> {
      if (view.revision() < revision) {
        log.warning("revision " + revision + " not yet read from the change log after " + READ_YOUR_WRITES_WAIT);
      }
    });
    return f;
  }

  /** Wakes the writers of every revision the view holds (their futures complete outside the lock). */
  private void wake() {
    List<Waiter> due = new ArrayList<>();
    synchronized (applied) {
      applied.notifyAll();
      long held = view.revision();
      while (!waiters.isEmpty() && waiters.peek().revision <= held) {
        due.add(waiters.poll());
      }
    }
    for (Waiter w : due) {
      w.done.complete(null);
    }
  }

  /** A writer waiting for the view to hold its revision. */
  private record Waiter(long revision, CompletableFuture<Void> done) {}

  /** Waits (a little) until the view holds {@code revision}: read-your-writes on one replica. */
  void awaitApplied(long revision) {
    long deadline = System.nanoTime() + READ_YOUR_WRITES_WAIT.toNanos();
    synchronized (applied) {
      while (view.revision() < revision) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warning("revision " + revision + " not yet read from the change log after " + READ_YOUR_WRITES_WAIT);
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(applied, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Stops the reader; the connections are the link's. */
  @Override
  public void close() {
    closed = true;
    reader.interrupt();
  }

  /** Waits for the reader to end after {@link #close()} and the link's closing. */
  void join() {
    try {
      reader.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void readLog() {
    RedisCommands<String, byte[]> reader = link.logCommands();
    long backoffMs = 100;
    boolean reload = false;
    while (!closed) {
      try {
        if (reload) {
          loadSnapshot(true);
          reload = false;
        }
        if (checkHistory || ticker.nanoTime() - lastHistoryCheckNanos > HISTORY_CHECK_INTERVAL.toNanos()) {
          checkHistory(reader);
        }
        List<StreamMessage<String, byte[]>> batch = readFrom(reader, lastLogId);
        long now = ticker.nanoTime();
        lastLogContactNanos = now;
        // Idle: no write for a second. A write lost with nothing after it shows only in a check.
        checkHistory = batch.isEmpty();
        for (StreamMessage<String, byte[]> m : batch) {
          long revision = revisionOf(m);
          if (revision < 0) {
            log.severe("unreadable change-log entry " + m.getId() + "; skipped");
            lastLogId = m.getId();
            lastEntry = m.getBody();
            continue;
          }
          if (revision > view.revision() + 1) {
            // Changes between what the view holds and this one were trimmed away: reload.
            log.info("change log trimmed past revision " + view.revision() + "; reloading a snapshot");
            loadSnapshot(false);
            break;
          }
          if (revision <= view.revision()) {
            // A new entry that does not advance the history: Redis lost writes this replica had
            // applied (restarted from an older file, or a lagging replica was promoted). Redis's
            // state is the truth from here: take it whole.
            log.warning("Redis's history went back from revision " + view.revision() + " to " + revision
                + " (lost writes: restart from an older file, or failover to a lagging replica);"
                + " reloading its state. Watchers holding versions above " + (revision - 1)
                + " may keep stale values until the next change; use appendfsync always and min-replicas-to-write");
            loadSnapshot(true);
            break;
          }
          apply(m, revision, now);
          lastLogId = m.getId();
          lastEntry = m.getBody();
        }
        logExpired();
        wake();
        backoffMs = 100;
      } catch (StoreUnavailableException | RuntimeException e) {
        if (closed) {
          return;
        }
        checkHistory = true; // a reconnect may be to another Redis (a failover) or to one restarted
        if (!(e instanceof RedisException) && !(e instanceof StoreUnavailableException)) {
          // Never let the reader die: a view that stops following the log serves a frozen registry.
          log.log(Level.SEVERE, "applying the change log failed; reloading a snapshot", e);
          reload = true;
        } else {
          log.log(Level.FINE, "reading the change log failed; retrying", e);
        }
        try {
          Thread.sleep(backoffMs); // reconnect backoff, not a poll: the next XREAD blocks on Redis
        } catch (InterruptedException ie) {
          return;
        }
        backoffMs = Math.min(backoffMs * 2, 2000);
      }
    }
  }

  /**
   * Checks that the history this replica follows is still Redis's: the entry it read last is still in
   * the log, unchanged, and Redis's revision is not below the view's. Otherwise Redis lost writes
   * this replica applied (a failover to a replica that missed them, a restart from an older file):
   * Redis's state is the truth from here, and is taken whole. Without this check a lost write with
   * no write after it would stay in the view for ever, and a write that took a lost entry's id would
   * be skipped.
   */
  private void checkHistory(RedisCommands<String, byte[]> reader) throws StoreUnavailableException {
    String at = lastLogId;
    long held = view.revision();
    byte[] revText = link.guarded(() -> reader.get(link.key("rev")));
    long rev = revText == null ? 0 : Long.parseLong(string(revText));
    List<StreamMessage<String, byte[]>> entry = at.equals("0-0") ? List.of()
        : link.guarded(() -> reader.xrange(link.key("log"), io.lettuce.core.Range.create(at, at)));
    checkHistory = false;
    lastHistoryCheckNanos = ticker.nanoTime();
    String lost = null;
    if (rev < held) {
      lost = "its revision is " + rev + ", below the " + held + " this replica holds";
    } else if (!at.equals("0-0") && entry.isEmpty() && !trimmedPast(reader, at)) {
      lost = "the change-log entry " + at + " this replica read last is gone";
    } else if (!entry.isEmpty() && !sameFields(entry.get(0).getBody(), lastEntry)) {
      lost = "the change-log entry " + at + " this replica read last was written again with other content";
    }
    if (lost != null) {
      log.warning("Redis lost history this replica had applied (" + lost + "; a failover to a replica that"
          + " missed writes, or a restart from an older file); reloading its state. Use appendfsync always and"
          + " --store-min-replicas");
      loadSnapshot(true);
    }
  }

  /** Returns whether entry {@code id} left the log because the log was trimmed past it. */
  private boolean trimmedPast(RedisCommands<String, byte[]> reader, String id) throws StoreUnavailableException {
    List<StreamMessage<String, byte[]>> first = link.guarded(() -> reader.xrange(link.key("log"),
        io.lettuce.core.Range.create("-", "+"), io.lettuce.core.Limit.from(1)));
    return !first.isEmpty() && compareIds(first.get(0).getId(), id) > 0;
  }

  private static int compareIds(String a, String b) {
    String[] x = a.split("-");
    String[] y = b.split("-");
    int c = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
    return c != 0 ? c : Long.compare(Long.parseLong(x[1]), Long.parseLong(y[1]));
  }

  private static boolean sameFields(Map<String, byte[]> a, Map<String, byte[]> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : a.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static long revisionOf(StreamMessage<String, byte[]> m) {
    try {
      return Long.parseLong(string(m.getBody().get("r")));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  // Lettuce's xread takes a generic varargs array; one offset is passed, so no heap pollution.
  @SuppressWarnings("unchecked")
  private List<StreamMessage<String, byte[]>> readFrom(RedisCommands<String, byte[]> reader, String id) {
    return reader.xread(XReadArgs.Builder.block(1000).count(512), XReadArgs.StreamOffset.from(link.key("log"), id));
  }

  private void apply(StreamMessage<String, byte[]> m, long revision, long now) {
    Map<String, byte[]> body = m.getBody();
    String service = string(body.get("s"));
    byte[] data = body.get("d");
    if (string(body.get("t")).equals("p")) {
      TrafficPolicy policy = null;
      if (data != null && data.length > 0) {
        try {
          policy = TrafficPolicy.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
          // Applied as a removal: routers then fall back to instance weights rather than a stale split.
          log.severe("unreadable traffic policy at revision " + revision + " (" + service + "); applied as removed");
        }
      }
      view.applyTrafficPolicy(service, policy, revision, now);
      return;
    }
    String id = string(body.get("i"));
    Instance instance = null;
    if (data != null && data.length > 0) {
      try {
        instance = Instance.parseFrom(data);
      } catch (InvalidProtocolBufferException e) {
        log.severe("unreadable change at revision " + revision + " (" + service + "/" + id + "); skipped");
      }
    }
    view.apply(service, id, instance, revision, now);
    String reason = string(body.get("x"));
    if (reason.equals("EXPIRED") || reason.equals("GRACE_EXPIRED")) {
      expired.add(service + "/" + id);
    }
  }

  /** Logs the expirations of one read batch in one line: after a pause they come by the thousand. */
  private void logExpired() {
    if (expired.isEmpty()) {
      return;
    }
    int n = expired.size();
    String names = String.join(", ", expired.subList(0, Math.min(5, n))) + (n > 5 ? ", ..." : "");
    log.info(() -> "lease expired: removed " + n + (n == 1 ? " instance: " : " instances: ") + names);
    expired.clear();
  }

  private void loadSnapshot(boolean force) throws StoreUnavailableException {
    List<Object> snap = link.eval(link.commands(), "snapshot", ScriptOutputType.MULTI);
    long revision = (Long) snap.get(0);
    Map<String, List<Instance>> state = new HashMap<>();
    Map<String, Long> versions = new HashMap<>();
    for (Object entry : (List<?>) snap.get(2)) {
      List<?> svc = (List<?>) entry;
      String service = string(svc.get(0));
      List<Instance> instances = new ArrayList<>();
      for (Object bytes : (List<?>) svc.get(2)) {
        try {
          instances.add(Instance.parseFrom((byte[]) bytes));
        } catch (InvalidProtocolBufferException e) {
          log.severe("unreadable instance of " + service + " in Redis; skipped");
        }
      }
      instances.sort((a, b) -> a.getInstanceId().compareTo(b.getInstanceId()));
      state.put(service, instances);
      versions.put(service, (Long) svc.get(1));
    }
    Map<String, StoredTrafficPolicy> policies = new HashMap<>();
    for (Object entry : (List<?>) snap.get(3)) {
      List<?> p = (List<?>) entry;
      String service = string(p.get(0));
      try {
        policies.put(service, new StoredTrafficPolicy(service, TrafficPolicy.parseFrom((byte[]) p.get(2)),
            (Long) p.get(1)));
      } catch (InvalidProtocolBufferException e) {
        log.severe("unreadable traffic policy of " + service + " in Redis; skipped");
      }
    }
    view.replaceAll(state, versions, policies, revision, ticker.nanoTime(), force);
    lastLogId = string(snap.get(1));
    Map<String, byte[]> fields = new HashMap<>();
    List<?> last = snap.size() > 4 ? (List<?>) snap.get(4) : List.of();
    for (int i = 0; i + 1 < last.size(); i += 2) {
      fields.put(string(last.get(i)), (byte[]) last.get(i + 1));
    }
    lastEntry = fields;
    lastHistoryCheckNanos = ticker.nanoTime();
    wake();
  }

  static String string(Object bytes) {
    return bytes == null ? "" : new String((byte[]) bytes, StandardCharsets.UTF_8);
  }
}
