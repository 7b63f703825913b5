package dev.vertice.console;

import dev.vertice.canary.Rollout;
import dev.vertice.common.JsonStrings;
import dev.vertice.common.ResourceTypes;
import dev.vertice.controlplane.push.ChangeListener;
import dev.vertice.observability.http.ResponseStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * {@code ConsoleEvents} keeps the console's pages live: it hears every registry change (a {@link
 * ChangeListener} on the registry view, beside the push engine) and every rollout write, gathers
 * them for {@link ConsoleConfig#coalesce()}, and sends one server-sent event naming what changed to
 * each open page, which then reads the JSON API again.
 *
 * <p>The listeners only note a name and schedule a flush: they never build JSON nor write to a
 * socket on the writer's thread, so a page never slows the push path. Each page's stream is bounded
 * ({@link ConsoleConfig#eventBufferBytes()}): one that falls behind is cut off and reconnects. At
 * most {@link ConsoleConfig#maxEventStreams()} pages stream at once. A tick event every {@link
 * ConsoleConfig#tickInterval()} refreshes the figures that change without a registry change (push
 * engine, ACKs) and keeps idle connections alive. Thread-safe.
 */
public final class ConsoleEvents implements ChangeListener, Consumer<Rollout>, AutoCloseable {

  /** Most service names one event lists; beyond, it says that every service may have changed. */
  static final int MAX_NAMES_PER_EVENT = 200;

  private final ConsoleConfig config;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final Set<ResponseStream> streams = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> lastChange = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  // guarded by lock
  private Set<String> changedServices = new TreeSet<>();
  private boolean changedPolicies;
  private boolean changedRollouts;
  private boolean overflow;
  private long revision;
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final ScheduledFuture<?> ticker;
  private volatile boolean closed;

  /**
   * Creates the hub; it sends on {@code scheduler} (one thread is enough: sends never block).
   *
   * @param clock the wall clock that stamps each service's last change
   */
  public ConsoleEvents(ConsoleConfig config, ScheduledExecutorService scheduler, Clock clock) {
    this.config = config;
    this.scheduler = scheduler;
    this.clock = clock;
    long tick = config.tickInterval().toMillis();
    this.ticker = scheduler.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
  }

  /** A registry change (called by the view under its lock: notes it and returns). */
  @Override
  public void onChange(String typeUrl, String name, long version, long changedAtNanos) {
    boolean endpoints = ResourceTypes.ENDPOINTS.equals(typeUrl);
    if (endpoints) {
      lastChange.put(name, clock.millis());
    }
    synchronized (lock) {
      revision = Math.max(revision, version);
      if (endpoints) {
        if (!overflow && changedServices.size() < MAX_NAMES_PER_EVENT) {
          changedServices.add(name);
        } else {
          overflow = true;
        }
      } else {
        changedPolicies = true;
      }
    }
    scheduleFlush();
  }

  /** A rollout was written (a repository thread: notes it and returns). */
  @Override
  public void accept(Rollout rollout) {
    synchronized (lock) {
      changedRollouts = true;
    }
    scheduleFlush();
  }

  /** Returns when this control plane last saw {@code service} change (epoch millis), or null before any. */
  public Long lastChange(String service) {
    return lastChange.get(service);
  }

  /**
   * {@code tryAdd} adds an open page's stream and sends it a hello event; false (nothing added) when
   * {@link ConsoleConfig#maxEventStreams()} pages stream already.
   */
  public boolean tryAdd(ResponseStream stream) {
    synchronized (streams) {
      if (closed || streams.size() >= config.maxEventStreams()) {
        return false;
      }
      streams.add(stream);
    }
    stream.onClose(() -> streams.remove(stream));
    // A comment line first: the browser learns the stream is open; retry tells it when to reconnect.
    stream.send("retry: 1000\n: vertice console events\n\nevent: hello\ndata: {}\n\n");
    return true;
  }

  /** {@code openStreams} returns the number of pages streaming now. */
  public int openStreams() {
    return streams.size();
  }

  /** {@code full} says whether no other page may stream now (the cap is checked again on add). */
  public boolean full() {
    return streams.size() >= config.maxEventStreams();
  }

  private void scheduleFlush() {
    if (!closed && flushScheduled.compareAndSet(false, true)) {
      try {
        scheduler.schedule(this::flush, config.coalesce().toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        flushScheduled.set(false);
      }
    }
  }

  private void flush() {
    flushScheduled.set(false);
    Set<String> services;
    boolean policies;
    boolean rollouts;
    boolean all;
    long rev;
    synchronized (lock) {
      services = changedServices;
      changedServices = new TreeSet<>();
      policies = changedPolicies;
      rollouts = changedRollouts;
      all = overflow;
      rev = revision;
      changedPolicies = false;
      changedRollouts = false;
      overflow = false;
    }
    StringBuilder b = new StringBuilder("event: change\ndata: {\"revision\":").append(rev).append(",\"services\":[");
    int i = 0;
    for (String s : services) {
      b.append(i++ == 0 ? "" : ",").append(JsonStrings.quote(s));
    }
    b.append("],\"allServices\":").append(all).append(",\"policies\":").append(policies).append(",\"rollouts\":")
        .append(rollouts).append("}\n\n");
    broadcast(b.toString());
  }

  private void tick() {
    broadcast("event: tick\ndata: {\"at\":" + clock.millis() + "}\n\n");
  }

  private void broadcast(String event) {
    List<ResponseStream> cut = new ArrayList<>();
    for (ResponseStream s : streams) {
      // send() never blocks; false means the page is gone or too slow and was cut off.
      if (!s.send(event)) {
        cut.add(s);
      }
    }
    streams.removeAll(cut);
  }

  /** Ends every page's stream and stops the tick. */
  @Override
  public void close() {
    closed = true;
    ticker.cancel(false);
    List<ResponseStream> open;
    synchronized (streams) {
      open = new ArrayList<>(streams);
      streams.clear();
    }
    for (ResponseStream s : open) {
      s.close();
    }
  }
}
