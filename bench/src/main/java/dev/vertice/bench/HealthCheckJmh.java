package dev.vertice.bench;

import dev.vertice.api.registry.v1.HealthStatus;
import dev.vertice.api.registry.v1.Instance;
import dev.vertice.api.registry.v1.Protocol;
import dev.vertice.client.ServiceSnapshot;
import dev.vertice.gateway.health.HealthCheckConfig;
import dev.vertice.gateway.health.HealthCheckService;
import dev.vertice.gateway.health.HealthReport;
import dev.vertice.gateway.health.HealthReportJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code HealthCheckJmh} measures the cached health-check path (seed target: p99 at most 1 ms):
 * {@link HealthCheckService#check} answered by layer 1, alone and rendered as JSON. The service
 * runs with the default 5 s layer-1 lifetime, so about once every 5 s a call probes the three
 * instances of a real loopback upstream again, as in production; those calls are in the sample
 * too. Only the probe timeouts are longer than the defaults (5 s, 10 s per check), so that the
 * first probe of a cold JVM on a busy machine does not time out.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HealthCheckJmh {

  private UpstreamServer upstream;
  private HealthCheckService service;

  /** Starts the upstream and primes layer 1 with one real probe round. */
  @Setup(Level.Trial)
  public void setUp() throws InterruptedException {
    upstream = new UpstreamServer(1);
    List<Instance> instances = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      instances.add(Instance.newBuilder().setService(GatewayBench.SERVICE).setInstanceId("i" + i)
          .setAddress("127.0.0.1").setPort(upstream.port()).setProtocol(Protocol.PROTOCOL_HTTP).setVersion("v1")
          .setWeight(100).setHealth(HealthStatus.HEALTH_STATUS_SERVING).build());
    }
    ServiceSnapshot snapshot = new ServiceSnapshot(GatewayBench.SERVICE, "1", instances);
    service = HealthCheckService.builder()
        .config(HealthCheckConfig.custom().probeTimeout(Duration.ofSeconds(5)).checkTimeout(Duration.ofSeconds(10))
            .build())
        .instances(name -> name.equals(GatewayBench.SERVICE) ? Optional.of(snapshot) : Optional.empty()).build();
    HealthReport first = service.check(GatewayBench.SERVICE).join();
    if (first.status() != HealthReport.Status.SERVING) {
      tearDown();
      throw new IllegalStateException("the upstream should be healthy: " + HealthReportJson.toJson(first));
    }
  }

  /** Stops the service and the upstream. */
  @TearDown(Level.Trial)
  public void tearDown() {
    service.close();
    upstream.close();
  }

  /** A check answered from layer 1 (the report object). */
  @Benchmark
  public HealthReport cachedCheck() {
    return service.check(GatewayBench.SERVICE).join();
  }

  /** A check answered from layer 1 and rendered as the HTTP route's JSON body. */
  @Benchmark
  public String cachedCheckAsJson() {
    return HealthReportJson.toJson(service.check(GatewayBench.SERVICE).join());
  }
}
