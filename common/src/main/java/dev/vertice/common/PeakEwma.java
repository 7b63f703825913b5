package dev.vertice.common;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code PeakEwma} is one instance's latency estimate for latency-aware balancing (Finagle's and
 * Linkerd's peak EWMA): an exponentially weighted moving average of response times that jumps to
 * any sample above it at once (the peak) and decays back with the time constant {@code decay}.
 *
 * <ul>
 *   <li>{@link #observe(long)}: a sample at or above the estimate replaces it; a lower one is blended
 *       in with weight {@code 1 - exp(-Δt / decay)}, {@code Δt} being the time since the previous
 *       sample, so the estimate follows the samples with time constant {@code decay} whatever their
 *       rate.
 *   <li>{@link #estimateNanos()}: the estimate, decayed towards 0 by {@code exp(-Δt / decay)} since
 *       the last sample: an instance that receives no traffic (because it looked slow) looks cheaper
 *       with time and is tried again, and one fresh slow sample puts it back at its peak.
 *   <li>{@link #cost(int, int)}: {@code estimate × (in-flight + 1) / weight}, the figure a
 *       power-of-two-choices balancer compares; an instance with no sample yet costs 0 when idle and
 *       a large penalty times its in-flight count per unit of weight when busy (after Finagle's
 *       rule), so a new instance gets one request at a time until its first response is timed, and
 *       instances that all lack samples compare as least-request would.
 * </ul>
 *
 * <p>Time comes from the injected {@link Ticker}. Thread-safe: samples are recorded under the
 * object's lock; reads take no lock (two volatile fields, a read racing a sample sees either value,
 * both valid). Allocation-free.
 */
public final class PeakEwma {

  /** The default decay time constant: 10 s, as Finagle and Linkerd. */
  public static final Duration DEFAULT_DECAY = Duration.ofSeconds(10);

  /** The cost of a busy instance with no latency sample yet, in nanoseconds per request in flight. */
  public static final double PENALTY_NANOS = (double) (Long.MAX_VALUE >> 16);

  private final Ticker ticker;
  private final double decayNanos;
  private volatile double estimate;
  private volatile long stamp;

  /**
   * {@code PeakEwma} starts without a sample.
   *
   * @param ticker the time source
   * @param decay the decay time constant (positive)
   * @throws IllegalArgumentException when {@code decay} is not positive, quoting it
   */
  public PeakEwma(Ticker ticker, Duration decay) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    Objects.requireNonNull(decay, "decay");
    if (decay.isNegative() || decay.isZero()) {
      throw new IllegalArgumentException("peak-ewma decay must be positive: " + decay);
    }
    this.decayNanos = decay.toNanos();
    this.stamp = ticker.nanoTime();
  }

  /** {@code observe} records one response time in nanoseconds (negative values count as 0). */
  public synchronized void observe(long latencyNanos) {
    long now = ticker.nanoTime();
    double rtt = Math.max(0, latencyNanos);
    double e = estimate;
    if (rtt >= e) {
      estimate = rtt;
    } else {
      double w = Math.exp(-Math.max(0, now - stamp) / decayNanos);
      estimate = e * w + rtt * (1 - w);
    }
    stamp = now;
  }

  /** {@code estimateNanos} returns the estimate now, decayed since the last sample; 0 before any sample. */
  public double estimateNanos() {
    double e = estimate;
    if (e == 0) {
      return 0;
    }
    long idle = ticker.nanoTime() - stamp;
    return idle <= 0 ? e : e * Math.exp(-idle / decayNanos);
  }

  /**
   * {@code cost} returns {@code estimate × (inFlight + 1) / weight}; without a sample yet,
   * {@link #PENALTY_NANOS}{@code × inFlight / weight} (0 when idle).
   *
   * @param inFlight requests in flight to the instance (0 or more)
   * @param weight the instance's weight (at least 1)
   */
  public double cost(int inFlight, int weight) {
    double e = estimateNanos();
    if (e == 0) {
      return inFlight <= 0 ? 0 : PENALTY_NANOS * inFlight / Math.max(1, weight);
    }
    return e * (Math.max(0, inFlight) + 1) / Math.max(1, weight);
  }

  /**
   * {@code cheaper} returns whether {@code x} (with {@code ax} requests in flight, weight {@code
   * wx}) costs at most what {@code y} costs now: the same answer as comparing {@link #cost}s, but
   * without reading the clock and with one {@code exp} instead of two when both have a sample and
   * the same decay (both decay by the same factor from now, so only their stamps' difference counts).
   */
  public static boolean cheaper(PeakEwma x, int ax, int wx, PeakEwma y, int ay, int wy) {
    double ex = x.estimate;
    double ey = y.estimate;
    if (ex == 0 || ey == 0 || x.decayNanos != y.decayNanos) {
      return x.cost(ax, wx) <= y.cost(ay, wy);
    }
    double lx = ex * (Math.max(0, ax) + 1) / Math.max(1, wx);
    double ly = ey * (Math.max(0, ay) + 1) / Math.max(1, wy);
    // cost = l × exp(-(now - stamp) / decay): x ≤ y  ⇔  lx ≤ ly × exp((stamp_y - stamp_x) / decay).
    return lx <= ly * Math.exp((y.stamp - x.stamp) / x.decayNanos);
  }

  @Override
  public String toString() {
    return "PeakEwma(" + Math.round(estimateNanos() / 1000) + " µs)";
  }
}
