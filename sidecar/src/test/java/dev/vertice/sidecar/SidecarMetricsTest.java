package dev.vertice.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.demo.DemoConfig;
import dev.vertice.demo.EchoHttpServer;
import dev.vertice.observability.Metrics;
import dev.vertice.testkit.FakeClock;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sidecar's Prometheus metrics through a health failure, a recovery and a drain, on a fake
 * clock against a real control plane and a real demo app (as {@link SidecarTest}).
 */
class SidecarMetricsTest {

  private static final Duration INTERVAL = Duration.ofSeconds(5);

  private final FakeClock clock = new FakeClock();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  @Test
  void probesTransitionsRegistrationAndProbeTimeAreCounted() throws Exception {
    TestControlPlane cp = closeLater(TestControlPlane.start(Duration.ofSeconds(5), 0));
    EchoHttpServer app = closeLater(EchoHttpServer.start(DemoConfig.custom().service("orders").build()));
    Metrics metrics = closeLater(Metrics.bare());
    MeterRegistry registry = metrics.registry();
    Sidecar sidecar = closeLater(Sidecar.builder(SidecarConfig.custom("orders", app.port())
            .controlPlane(cp.address()).apiPort(0).drainPeriod(Duration.ofSeconds(10)).build())
        .ticker(clock).scheduler(clock.scheduler()).worker(Runnable::run).meterRegistry(registry).build());
    sidecar.start();

    assertEquals(1, probes(registry, "success"));
    assertEquals(0, probes(registry, "failure"));
    assertEquals(1, transitions(registry, "serving"), "the first verdict counts");
    assertEquals(1.0, registry.get("vertice.sidecar.registered").gauge().value());

    app.setServing(false);
    clock.forwardTime(INTERVAL.multipliedBy(3)); // failure threshold 3
    assertEquals(3, probes(registry, "failure"));
    assertEquals(1, transitions(registry, "not_serving"));
    app.setServing(true);
    clock.forwardTime(INTERVAL);
    assertEquals(2, probes(registry, "success"));
    assertEquals(2, transitions(registry, "serving"));
    assertEquals(0, transitions(registry, "draining"));
    assertEquals(5, registry.get("vertice.sidecar.probe").timer().count(), "every probe is timed");

    String scrape = metrics.scrape();
    for (String line : List.of("vertice_sidecar_probes_total{result=\"failure\"} 3.0",
        "vertice_sidecar_health_transitions_total{to=\"not_serving\"} 1.0", "vertice_sidecar_registered 1.0",
        "vertice_sidecar_probe_seconds_bucket{le=\"0.001\"}", "vertice_sidecar_probe_seconds_bucket{le=\"10.0\"}",
        "vertice_sidecar_probe_seconds_count 5")) {
      assertTrue(scrape.contains(line), "scrape lacks " + line + ":\n" + scrape);
    }
    assertFalse(scrape.contains("vertice_sidecar_probe_seconds_bucket{le=\"20.0\"}"), "fixed buckets up to 10 s");

    CompletableFuture<Void> stopped = sidecar.drain();
    assertEquals(1, transitions(registry, "draining"));
    clock.forwardTime(Duration.ofSeconds(10));
    stopped.get();
    assertEquals(0.0, registry.get("vertice.sidecar.registered").gauge().value(), "deregistered after the drain");
  }

  private static double probes(MeterRegistry registry, String result) {
    return registry.get("vertice.sidecar.probes").tag("result", result).counter().count();
  }

  private static double transitions(MeterRegistry registry, String to) {
    return registry.get("vertice.sidecar.health.transitions").tag("to", to).counter().count();
  }
}
