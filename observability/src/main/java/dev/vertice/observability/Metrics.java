package dev.vertice.observability;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * {@code Metrics} owns one process's Prometheus registry, with the JVM and process metrics every
 * component exports ({@code jvm_*}, {@code process_*}, {@code system_cpu_*}).
 *
 * <p>Naming follows Prometheus conventions: Micrometer turns a meter named {@code
 * vertice.registrations} of type counter into {@code vertice_registrations_total}, timers into
 * {@code _seconds} histograms. Label values must come from bounded sets: never an instance id or a
 * request path.
 */
public final class Metrics implements MetricsSource, AutoCloseable {

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;

  private Metrics(PrometheusMeterRegistry registry, JvmGcMetrics gc) {
    this.registry = registry;
    this.gc = gc;
  }

  /** Returns a registry with the JVM and process metrics bound. */
  public static Metrics withJvmMetrics() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    return new Metrics(registry, gc);
  }

  /** Returns a registry with nothing bound (tests, embedded use). */
  public static Metrics bare() {
    return new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), null);
  }

  /** Returns the registry meters are added to. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    if (gc != null) {
      gc.close();
    }
    registry.close();
  }
}
