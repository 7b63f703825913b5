package dev.vertice.observability;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.DoubleSupplier;
import java.util.function.ToDoubleFunction;

/**
 * {@code Meters} are the few kinds of meter a component registers for itself, over either registry:
 * Micrometer's ({@link #of(MeterRegistry)}, for code embedded in a process that has one) or {@link
 * SmallMetrics} (the sidecar process, which leaves Micrometer's classes unloaded).
 *
 * <p>Names are Micrometer's: dotted, without unit or suffix ({@code vertice.sidecar.probes}); both
 * registries export them under the same Prometheus names ({@code vertice_sidecar_probes_total}). Tags
 * are key-value pairs, from bounded sets. Registering a meter again with the same name and tags
 * returns the first one (Micrometer's rule). Implementations are thread-safe.
 */
public interface Meters {

  /** Returns a counter ({@code NAME_total}) that the caller increments. */
  Counter counter(String name, String description, String... tags);

  /**
   * Registers a counter ({@code NAME_total}) whose value {@code count} reads from {@code obj} at each
   * scrape; it must not decrease. Micrometer holds {@code obj} weakly: the caller keeps it.
   */
  <T> void functionCounter(String name, String description, T obj, ToDoubleFunction<T> count, String... tags);

  /**
   * Registers a gauge read at each scrape, held strongly; {@code baseUnit} (for example {@code
   * seconds}, or null) ends its Prometheus name.
   */
  void gauge(String name, String baseUnit, String description, DoubleSupplier value, String... tags);

  /** Returns a timer exported as a histogram ({@code NAME_seconds}) with {@code buckets} as its upper bounds. */
  Timer timer(String name, String description, Duration[] buckets, String... tags);

  /** Returns {@code Meters} that register with Micrometer's {@code registry}. */
  static Meters of(MeterRegistry registry) {
    return new MicrometerMeters(registry);
  }

  /** A monotonic count. */
  interface Counter {

    /** Adds one. */
    void increment();
  }

  /** A distribution of durations. */
  interface Timer {

    /** Records one duration of {@code nanos} nanoseconds. */
    void record(long nanos);
  }
}
