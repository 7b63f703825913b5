package dev.vertice.gateway.resilience;

import dev.vertice.common.Ticker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * {@code Breaker} is a count-based circuit breaker with resilience4j's state machine (the gateway
 * used resilience4j's {@code CircuitBreaker} with a COUNT_BASED window before; the states, their
 * names and the thresholds are the same) but nothing locked or allocated per call:
 *
 * <ul>
 *   <li>CLOSED: every call is permitted; the last {@code window} outcomes are kept; once at least
 *       {@code minCalls} are kept and the share of failures among them reaches {@code
 *       failureRate} percent, the breaker opens.
 *   <li>OPEN: calls are refused until {@code openWait} has passed (strictly); the next call asked
 *       for then moves it to HALF_OPEN.
 *   <li>HALF_OPEN: {@code halfOpenCalls} probe calls are permitted (a probe given back with {@link
 *       #releasePermission} frees its place); once {@code min(minCalls, halfOpenCalls)} of their
 *       outcomes are in, the breaker opens again if their failure share reaches {@code
 *       failureRate}, and closes (with an empty window) otherwise.
 * </ul>
 *
 * <p>The window is a ring of outcome slots written with atomic operations, and the count of
 * failures it holds is kept exact. A success while the window is full of successes changes
 * nothing, so it writes nothing: the steady state of a healthy service costs three volatile reads
 * per outcome. State changes swap an immutable phase object (compare-and-set); an outcome that
 * lands in the phase just left is ignored, as resilience4j ignores outcomes recorded in OPEN.
 * Thread-safe. Time from the injected {@link Ticker}.
 */
public final class Breaker {

  private final String name;
  private final float failureRate;
  private final int window;
  private final int minCalls;
  private final long openWaitNanos;
  private final int halfOpenCalls;
  private final Ticker ticker;
  private final AtomicReference<Phase> phase;
  private final List<Consumer<State>> listeners = new CopyOnWriteArrayList<>();

  /**
   * {@code Breaker} creates a closed breaker.
   *
   * @param name its name (the instance or service), for logs and metrics
   * @param failureRate the failure share (percent, over 0, at most 100) that opens it
   * @param window outcomes kept while closed (at least 1)
   * @param minCalls outcomes needed before it may open (capped at {@code window})
   * @param openWaitNanos how long it stays open
   * @param halfOpenCalls probe calls while half-open (at least 1)
   * @param ticker time source
   */
  public Breaker(String name, float failureRate, int window, int minCalls, long openWaitNanos, int halfOpenCalls,
      Ticker ticker) {
    if (!(failureRate > 0 && failureRate <= 100)) {
      throw new IllegalArgumentException("breaker failure rate must lie in (0, 100]: " + failureRate);
    }
    if (window < 1 || minCalls < 1 || halfOpenCalls < 1) {
      throw new IllegalArgumentException("breaker window, minimum calls and half-open calls must be at least 1: "
          + window + ", " + minCalls + ", " + halfOpenCalls);
    }
    this.name = Objects.requireNonNull(name, "name");
    this.failureRate = failureRate;
    this.window = window;
    this.minCalls = Math.min(minCalls, window);
    this.openWaitNanos = openWaitNanos;
    this.halfOpenCalls = halfOpenCalls;
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.phase = new AtomicReference<>(new Phase(State.CLOSED, new Ring(window, this.minCalls), 0, 0));
  }

  /** {@code name} returns the breaker's name. */
  public String name() {
    return name;
  }

  /** {@code state} returns the current state (OPEN until a call is asked for after the wait, as resilience4j). */
  public State state() {
    return phase.get().state;
  }

  /** {@code onTransition} calls {@code listener} with the new state after every state change. */
  public void onTransition(Consumer<State> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** {@code tryAcquirePermission} returns whether a call may go now (see the class comment). */
  public boolean tryAcquirePermission() {
    while (true) {
      Phase p = phase.get();
      switch (p.state) {
        case CLOSED:
          return true;
        case OPEN:
          if (ticker.nanoTime() - p.openUntilNanos <= 0) { // strictly after the wait, as resilience4j
            return false;
          }
          move(p, new Phase(State.HALF_OPEN, new Ring(halfOpenCalls, Math.min(minCalls, halfOpenCalls)), 0,
              halfOpenCalls));
          continue; // take a probe permission in the new (or a newer) phase
        case HALF_OPEN:
          int n = p.permits.get();
          if (n <= 0) {
            return false;
          }
          if (p.permits.compareAndSet(n, n - 1)) {
            return true;
          }
          continue;
        default:
          return false;
      }
    }
  }

  /** {@code releasePermission} gives back a permission that led to no outcome. */
  public void releasePermission() {
    Phase p = phase.get();
    if (p.state == State.HALF_OPEN) {
      p.permits.incrementAndGet(); // uncapped, as resilience4j
    }
  }

  /** {@code onSuccess} records a successful call. */
  public void onSuccess() {
    record(false);
  }

  /** {@code onError} records a failed call. */
  public void onError() {
    record(true);
  }

  private void record(boolean failure) {
    Phase p = phase.get();
    if (p.state == State.OPEN) {
      return;
    }
    Ring r = p.ring;
    if (!r.record(failure)) {
      return;
    }
    int verdict = r.verdict(failureRate);
    if (verdict > 0) {
      open(p);
    } else if (verdict == 0 && p.state == State.HALF_OPEN) {
      move(p, new Phase(State.CLOSED, new Ring(window, minCalls), 0, 0));
    }
  }

  private void open(Phase from) {
    move(from, new Phase(State.OPEN, null, ticker.nanoTime() + openWaitNanos, 0));
  }

  private void move(Phase from, Phase to) {
    if (phase.compareAndSet(from, to)) {
      for (Consumer<State> l : listeners) {
        l.accept(to.state);
      }
    }
  }

  @Override
  public String toString() {
    return "Breaker{" + name + ", " + state() + "}";
  }

  /** One stay in a state: immutable but for its window and probe permits. */
  private static final class Phase {
    final State state;
    final Ring ring;
    final long openUntilNanos;
    final AtomicInteger permits;

    Phase(State state, Ring ring, long openUntilNanos, int permits) {
      this.state = state;
      this.ring = ring;
      this.openUntilNanos = openUntilNanos;
      this.permits = new AtomicInteger(permits);
    }
  }

  /** The last {@code size} outcomes: slots 0 (empty), 1 (success), 2 (failure), written atomically. */
  private static final class Ring {
    private static final int SUCCESS = 1;
    private static final int FAILURE = 2;

    final int size;
    final int minCalls;
    final AtomicLong calls = new AtomicLong();
    final AtomicInteger failures = new AtomicInteger();
    final AtomicIntegerArray slots;

    Ring(int size, int minCalls) {
      this.size = size;
      this.minCalls = minCalls;
      this.slots = new AtomicIntegerArray(size);
    }

    /** Records an outcome; returns false when it changed nothing (a success over a window of successes). */
    boolean record(boolean failure) {
      if (!failure && failures.get() == 0 && calls.get() >= size) {
        return false;
      }
      long i = calls.getAndIncrement();
      int old = slots.getAndSet((int) (i % size), failure ? FAILURE : SUCCESS);
      int delta = (failure ? 1 : 0) - (old == FAILURE ? 1 : 0);
      if (delta != 0) {
        failures.addAndGet(delta);
      }
      return true;
    }

    /**
     * -1 while fewer than minCalls outcomes are kept, 1 when the failure share reaches {@code rate}
     * percent, 0 below it.
     */
    int verdict(float rate) {
      long n = Math.min(calls.get(), size);
      if (n < minCalls) {
        return -1;
      }
      return failures.get() * 100.0f / n >= rate ? 1 : 0;
    }
  }
}
