package dev.vertice.sidecar;

import dev.vertice.client.WatchClient;
import dev.vertice.client.WatchClientMeters;
import dev.vertice.observability.Meters;
import dev.vertice.observability.Meters.Counter;
import dev.vertice.observability.Meters.Timer;
import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * {@code SidecarMeters} are a sidecar's {@code vertice_sidecar_*} meters; one set per sidecar and
 * registry, on Micrometer (a sidecar embedded in a process that has a registry) or on the sidecar
 * process's {@code SmallMetrics}.
 */
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
  private final Meters meters;

  // Supervision of the app (--exec) only; registered by supervised().
  Counter restartsExited;
  Counter restartsUnhealthy;

  /** {@code SidecarMeters} registers the meters; {@code registered} is 1 while the instance is registered. */
  SidecarMeters(Meters meters, DoubleSupplier registered) {
    this.meters = meters;
    success = probes("success");
    failure = probes("failure");
    toServing = transitions("serving");
    toNotServing = transitions("not_serving");
    toDraining = transitions("draining");
    probeTime = meters.timer("vertice.sidecar.probe", "Time of each health probe of the app", PROBE_BUCKETS);
    meters.gauge("vertice.sidecar.registered", null,
        "1 while the instance is registered with the control plane, else 0", registered);
  }

  /**
   * {@code supervised} registers the meters of a supervised app: restarts by reason ({@code
   * exited}: the process ended; {@code unhealthy}: stopped for failing its probe too long), and
   * the gauges {@code up} (1 while its process runs) and {@code crashLoop} (1 once it stays down).
   */
  void supervised(DoubleSupplier up, DoubleSupplier crashLoop) {
    restartsExited = restarts("exited");
    restartsUnhealthy = restarts("unhealthy");
    meters.gauge("vertice.sidecar.app.up", null, "1 while the supervised app's process runs, else 0", up);
    meters.gauge("vertice.sidecar.app.crash.loop", null,
        "1 once the supervised app restarted too often and stays down, else 0", crashLoop);
  }

  /** {@code bindWatch} registers {@code watch}'s {@link WatchClientMeters} ({@code vertice_watch_*}). */
  static void bindWatch(Meters meters, WatchClient watch) {
    for (WatchClientMeters.Meter m : WatchClientMeters.ALL) {
      if (m.counter()) {
        meters.functionCounter(m.name(), m.description(), watch, m.read());
      } else {
        meters.gauge(m.name(), m.baseUnit(), m.description(), () -> m.read().applyAsDouble(watch));
      }
    }
  }

  private Counter restarts(String reason) {
    return meters.counter("vertice.sidecar.app.restarts", "Restarts of the supervised app, by reason",
        "reason", reason);
  }

  private Counter probes(String result) {
    return meters.counter("vertice.sidecar.probes", "Health probes of the app, by result", "result", result);
  }

  private Counter transitions(String to) {
    return meters.counter("vertice.sidecar.health.transitions", "Changes of the health the sidecar holds for the app",
        "to", to);
  }
}
