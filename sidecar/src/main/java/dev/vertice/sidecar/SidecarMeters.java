package dev.vertice.sidecar;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/** {@code SidecarMeters} are a sidecar's {@code vertice_sidecar_*} meters; one set per sidecar and registry. */
final class SidecarMeters {

  /** Fixed buckets of {@code vertice_sidecar_probe_seconds}: 1 ms to 10 s. */
  static final Duration[] PROBE_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};

  final Counter success;
  final Counter failure;
  final Counter toServing;
  final Counter toNotServing;
  final Counter toDraining;
  final Timer probeTime;
  // The gauge holds its state weakly: this strong reference keeps it as long as the sidecar.
  private final DoubleSupplier registered;
  private final MeterRegistry registry;

  // Supervision of the app (--exec) only; registered by supervised().
  Counter restartsExited;
  Counter restartsUnhealthy;
  private DoubleSupplier appUp;
  private DoubleSupplier crashLoop;

  /** {@code SidecarMeters} registers the meters; {@code registered} is 1 while the instance is registered. */
  SidecarMeters(MeterRegistry registry, DoubleSupplier registered) {
    this.registry = registry;
    this.registered = registered;
    success = probes(registry, "success");
    failure = probes(registry, "failure");
    toServing = transitions(registry, "serving");
    toNotServing = transitions(registry, "not_serving");
    toDraining = transitions(registry, "draining");
    probeTime = Timer.builder("vertice.sidecar.probe").description("Time of each health probe of the app")
        .serviceLevelObjectives(PROBE_BUCKETS).register(registry);
    Gauge.builder("vertice.sidecar.registered", this.registered, DoubleSupplier::getAsDouble)
        .description("1 while the instance is registered with the control plane, else 0").register(registry);
  }

  /**
   * {@code supervised} registers the meters of a supervised app: restarts by reason ({@code
   * exited}: the process ended; {@code unhealthy}: stopped for failing its probe too long), and
   * the gauges {@code up} (1 while its process runs) and {@code crashLoop} (1 once it stays down).
   */
  void supervised(DoubleSupplier up, DoubleSupplier crashLoop) {
    this.appUp = up;
    this.crashLoop = crashLoop;
    restartsExited = restarts(registry, "exited");
    restartsUnhealthy = restarts(registry, "unhealthy");
    Gauge.builder("vertice.sidecar.app.up", this.appUp, DoubleSupplier::getAsDouble)
        .description("1 while the supervised app's process runs, else 0").register(registry);
    Gauge.builder("vertice.sidecar.app.crash.loop", this.crashLoop, DoubleSupplier::getAsDouble)
        .description("1 once the supervised app restarted too often and stays down, else 0").register(registry);
  }

  private static Counter restarts(MeterRegistry registry, String reason) {
    return Counter.builder("vertice.sidecar.app.restarts").tag("reason", reason)
        .description("Restarts of the supervised app, by reason").register(registry);
  }

  private static Counter probes(MeterRegistry registry, String result) {
    return Counter.builder("vertice.sidecar.probes").tag("result", result)
        .description("Health probes of the app, by result").register(registry);
  }

  private static Counter transitions(MeterRegistry registry, String to) {
    return Counter.builder("vertice.sidecar.health.transitions").tag("to", to)
        .description("Changes of the health the sidecar holds for the app").register(registry);
  }
}
