package dev.vertice.launcher;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.demo.DemoConfig;
import dev.vertice.demo.DemoService;
import dev.vertice.demo.EchoHttpServer;
import dev.vertice.observability.Tracing;
import dev.vertice.sidecar.Sidecar;
import dev.vertice.sidecar.SidecarConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code DemoFleet} runs demo HTTP services in this JVM, each behind its own {@link Sidecar} (which
 * registers it, probes it and keeps its lease), as {@code ./vertice dev} and {@code ./vertice
 * cluster} do. The sidecars share one timer thread; each has its own worker thread.
 */
final class DemoFleet implements AutoCloseable {

  /** One service instance: the demo app and the sidecar in front of it. */
  record Member(DemoService app, Sidecar sidecar) {}

  private final List<Member> members = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ScheduledExecutorService timers;
  private final Tracing tracing;
  private final MeterRegistry meters;

  private DemoFleet(Tracing tracing, MeterRegistry meters) {
    this.tracing = tracing;
    this.meters = meters;
    if (meters != null) {
      // Registered before any sidecar's own gauge of that name, which then finds this one.
      Gauge.builder("vertice.sidecar.registered", this, DemoFleet::registeredNow)
          .description("Instances this process keeps registered with the control plane").register(meters);
    }
    this.timers = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "vertice-fleet-timer");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * {@code start} starts one v1 instance of each of {@code services} and a v2 instance of each of
   * {@code candidates}, on free ports of {@code host}, registered with {@code controlPlane} at
   * {@code host}.
   *
   * @param instanceTag distinguishes the instance ids of several fleets on one host
   * @throws IOException when a demo service cannot bind; whatever started is stopped
   */
  static DemoFleet start(String host, String controlPlane, List<String> services, List<String> candidates,
      Duration probeInterval, String instanceTag) throws IOException {
    return start(host, host, 0, controlPlane, services, candidates, probeInterval, instanceTag);
  }

  /**
   * {@code start} is the above with the apps listening on {@code bindHost}, registered (and probed)
   * at {@code address}, on ports {@code firstPort}, {@code firstPort + 1}, ... (free ones when 0).
   */
  static DemoFleet start(String bindHost, String address, int firstPort, String controlPlane, List<String> services,
      List<String> candidates, Duration probeInterval, String instanceTag) throws IOException {
    return start(bindHost, address, firstPort, controlPlane, services, candidates, probeInterval, instanceTag,
        Tracing.off(), null);
  }

  /**
   * {@code start} is the above with the sidecars' calls to the control plane traced by {@code
   * tracing}, which the caller owns and closes after the fleet, and, when {@code meters} is not
   * null, the sidecars' metrics in {@code meters}: their counters add up over the fleet, and
   * {@code vertice_sidecar_registered} counts the fleet's registered instances.
   */
  static DemoFleet start(String bindHost, String address, int firstPort, String controlPlane, List<String> services,
      List<String> candidates, Duration probeInterval, String instanceTag, Tracing tracing, MeterRegistry meters)
      throws IOException {
    DemoFleet fleet = new DemoFleet(tracing, meters);
    try {
      long seed = 1;
      int n = 0;
      for (String s : services) {
        fleet.add(bindHost, address, firstPort == 0 ? 0 : firstPort + n++, controlPlane, s, "v1", probeInterval,
            s + "-" + instanceTag + "-v1", seed++);
      }
      for (String s : candidates) {
        fleet.add(bindHost, address, firstPort == 0 ? 0 : firstPort + n++, controlPlane, s, "v2", probeInterval,
            s + "-" + instanceTag + "-v2", seed++);
      }
    } catch (IOException | RuntimeException e) {
      fleet.close();
      throw e;
    }
    return fleet;
  }

  private void add(String bindHost, String address, int port, String controlPlane, String service, String version,
      Duration probeInterval, String instanceId, long seed) throws IOException {
    DemoService app = EchoHttpServer.start(DemoConfig.custom().service(service).instanceId(instanceId).host(bindHost)
        .port(port).version(version).seed(seed).build());
    Sidecar sidecar;
    try {
      SidecarConfig config = SidecarConfig.custom(service, app.port()).address(address).instanceId(instanceId)
          .version(version).controlPlane(controlPlane).apiHost("127.0.0.1").apiPort(0).probeInterval(probeInterval)
          .ttl(Duration.ofSeconds(30)).keepalive(Duration.ofSeconds(10)).drainPeriod(Duration.ofSeconds(2))
          .drainSettle(Duration.ofMillis(500)).callTimeout(Duration.ofSeconds(2)).backoffMax(Duration.ofSeconds(2))
          .build();
      Sidecar.Builder b = Sidecar.builder(config).scheduler(timers).tracing(tracing);
      if (meters != null) {
        b.meterRegistry(meters);
      }
      sidecar = b.build();
      sidecar.start();
    } catch (RuntimeException e) {
      app.close();
      throw e;
    }
    members.add(new Member(app, sidecar));
  }

  /** {@code members} returns the running instances, v1 first. */
  List<Member> members() {
    return List.copyOf(members);
  }

  private double registeredNow() {
    return members.stream().filter(m -> m.sidecar().registration().map(r -> r.isActive()).orElse(false)).count();
  }

  /** {@code registered} counts the instances the control plane acknowledged as SERVING. */
  long registered() {
    return members.stream().filter(m -> m.sidecar().acknowledged() == HealthStatus.HEALTH_STATUS_SERVING).count();
  }

  /**
   * {@code drain} drains every sidecar at once (DRAINING, a short wait, deregistration) and waits
   * up to {@code timeout}; then stops the apps.
   */
  void drain(Duration timeout) {
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    for (Member m : members) {
      stops.add(m.sidecar().drain());
    }
    try {
      CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // Best effort: what did not deregister expires with its lease.
    }
    close();
  }

  /** {@code close} stops every sidecar (deregistering, best effort) and app at once. */
  @Override
  public void close() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (Member m : members) {
      closing.add(CompletableFuture.runAsync(m.sidecar()::close));
    }
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Best effort, as above.
    }
    members.forEach(m -> m.app().close());
    timers.shutdownNow();
  }
}
