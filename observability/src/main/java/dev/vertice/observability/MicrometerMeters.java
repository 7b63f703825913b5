package dev.vertice.observability;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.ToDoubleFunction;

/** {@code MicrometerMeters} are {@link Meters} on a Micrometer registry. */
final class MicrometerMeters implements Meters {

  private final MeterRegistry registry;

  MicrometerMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Counter counter(String name, String description, String... tags) {
    return io.micrometer.core.instrument.Counter.builder(name).tags(tags).description(description)
        .register(registry)::increment;
  }

  @Override
  public <T> void functionCounter(String name, String description, T obj, ToDoubleFunction<T> count,
      String... tags) {
    FunctionCounter.builder(name, obj, count).tags(tags).description(description).register(registry);
  }

  @Override
  public void gauge(String name, String baseUnit, String description, DoubleSupplier value, String... tags) {
    Gauge.builder(name, value, DoubleSupplier::getAsDouble).strongReference(true).baseUnit(baseUnit).tags(tags)
        .description(description).register(registry);
  }

  @Override
  public Timer timer(String name, String description, Duration[] buckets, String... tags) {
    io.micrometer.core.instrument.Timer timer = io.micrometer.core.instrument.Timer.builder(name).tags(tags)
        .description(description).serviceLevelObjectives(buckets).register(registry);
    return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
  }
}
